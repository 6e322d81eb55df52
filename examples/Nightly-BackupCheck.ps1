#Requires -Version 7.4
#Requires -Modules S3Replication

<#
.SYNOPSIS
    Nightly backup check: is everything in the source bucket also in its backup?

.DESCRIPTION
    Compares the source bucket with its backup and writes a report of what is not backed up (objects older than the
    replication rule, or replication that failed) and what differs. Meant for a scheduler:

        pwsh -NonInteractive -File Nightly-BackupCheck.ps1 -SourceBucket sds-data-dev -BackupBucket sds-data-dev-backup

    Exit codes: 0 everything backed up; 1 the check could not run; 2 access is missing; 3 objects are not backed up.

.EXAMPLE
    ./Nightly-BackupCheck.ps1 -SourceBucket sds-data-dev -BackupBucket sds-data-dev-backup -ReportPath ./report.csv
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $SourceBucket,
    [Parameter(Mandatory)] [string] $BackupBucket,
    [string] $ProfileName = 'backup-role',
    [string] $Prefix = '',
    [string] $ReportPath = "./backup-check-$(Get-Date -Format yyyy-MM-dd).csv"
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
try {
    Connect-S3Backup -ProfileName $ProfileName
    $access = Test-S3BackupAccess -Bucket $SourceBucket, $BackupBucket -Probe List
    $missingAccess = $access | Where-Object Outcome -In 'Denied', 'Error'
    if ($missingAccess) {
        $missingAccess | ForEach-Object { Write-Warning "$($_.Check) on $($_.Target): $($_.Hint)" }
        exit 2
    }

    # A side that lacks the key has no time: an empty cell, not a method call on $null (which Select-Object hides, but $Error keeps).
    function Format-Utc($Time) { if ($Time) { $Time.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') } }

    $differences = Compare-S3BackupBucket -SourceBucket $SourceBucket -BackupBucket $BackupBucket -Prefix $Prefix
    # A report for people and spreadsheets: ETags without S3's quotes, times in ISO 8601 UTC whatever the culture.
    $differences | Select-Object State, Key, SourceSize, BackupSize,
        @{ Name = 'SourceETag'; Expression = { $_.SourceETag -replace '"' } },
        @{ Name = 'BackupETag'; Expression = { $_.BackupETag -replace '"' } },
        @{ Name = 'SourceLastModified'; Expression = { Format-Utc $_.SourceLastModified } },
        @{ Name = 'BackupLastModified'; Expression = { Format-Utc $_.BackupLastModified } } |
        Export-Csv -Path $ReportPath -NoTypeInformation -UseQuotes AsNeeded
    $notBackedUp = @($differences | Where-Object State -In 'MissingInBackup', 'Different')
    $differences | Group-Object State | ForEach-Object { Write-Output ('{0,-16} {1,8}' -f $_.Name, $_.Count) }
    Write-Output "Report: $ReportPath"
    if ($notBackedUp.Count -gt 0) {
        Write-Warning "$($notBackedUp.Count) object(s) in s3://$SourceBucket are not (or not identically) in s3://$BackupBucket."
        exit 3
    }
    exit 0
}
catch {
    Write-Error "$($_.FullyQualifiedErrorId): $_" -ErrorAction Continue
    exit 1
}
