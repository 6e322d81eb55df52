#Requires -Version 7.4
#Requires -Modules S3Replication

<#
.SYNOPSIS
    Ad-hoc restore of one instrument's files for a range of days, from the backup to the source bucket.

.DESCRIPTION
    Selects the backup objects under imap/<instrument>/<level>/<yyyy>/<MM>/ whose file names carry a date in the
    range (imap_mag_l1a_norm-mago_20250107_v001.cdf), optionally as the backup was at a past moment, previews the
    restore and, unless -WhatIf is given, runs it. Prints one line per object copied and a summary.

.EXAMPLE
    ./Restore-InstrumentDay.ps1 -Instrument mag -Level l1a -From 2025-01-05 -To 2025-01-07 -WhatIf

.EXAMPLE
    ./Restore-InstrumentDay.ps1 -Instrument swe -Level l0 -From 2025-01-01 -To 2025-01-31 -AsOf (Get-Date).AddDays(-2)

.EXAMPLE
    ./Restore-InstrumentDay.ps1 -Instrument mag -Level l1a -From '5 Jan 2025' -To '7 Jan 2025' -AsOf '2026-12-01T22:00:00Z' -WhatIf

    Dates are read as the module's cmdlets read -AsOf: ISO 8601 or a month name. '01/03/2025' is refused, since it
    names 3 January or 1 March depending on where you live.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Instrument,
    [Parameter(Mandatory)] [string] $Level,
    # -From, -To and -AsOf take a [datetime] or text, and have no type on purpose: a [datetime] parameter would read
    # '01/03/2025' month-first (3 January) without a word, while the cmdlets refuse it as naming two days.
    [Parameter(Mandatory)] $From,
    [Parameter(Mandatory)] $To,
    [string] $BackupBucket = 'sds-data-dev-backup',
    [string] $SourceBucket = 'sds-data-dev',
    [string] $ProfileName = 'backup-role',
    $AsOf
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Text is read by the module's own reader, the transformation on the cmdlets' -AsOf: ISO 8601 (2025-01-05,
# 2026-12-01T22:00:00Z) or a month name (5 Jan 2025); a day and month that can be read both ways are refused.
$moduleReader = @((Get-Command Get-S3BackupObject).Parameters['AsOf'].Attributes |
        Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] })
if ($moduleReader.Count -ne 1) { throw 'Get-S3BackupObject -AsOf no longer reads moments typed as text; this script needs that reader.' }
function ConvertTo-Moment([string] $Name, $Value) {
    try { $moment = $moduleReader[0].Transform($ExecutionContext, $Value) }
    catch {
        # The reader's refusal (S3BackupException, e.g. AmbiguousDate) sits under the transformation's exception.
        $refusal = $_.Exception
        while ($refusal.InnerException) { $refusal = $refusal.InnerException }
        $id = if ($refusal.PSObject.Properties['ErrorId']) { [string]$refusal.ErrorId } else { 'InvalidDate' }
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.ArgumentException]::new("-${Name}: $($refusal.Message)", $refusal), $id, 'InvalidArgument', $Value))
    }
    if ($moment -isnot [datetime]) {
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.ArgumentException]::new("-${Name} takes a date such as 2025-01-05 or a [datetime], not '$Value'."), 'InvalidDate', 'InvalidArgument', $Value))
    }
    $moment
}
# Read every date before anything connects, so a refused one changes nothing.
$From = ConvertTo-Moment From $From
$To = ConvertTo-Moment To $To
if ($PSBoundParameters.ContainsKey('AsOf')) { $AsOf = ConvertTo-Moment AsOf $AsOf }

Connect-S3Backup -ProfileName $ProfileName

$days = for ($day = $From.Date; $day -le $To.Date; $day = $day.AddDays(1)) { $day }
$listing = @{ Bucket = $BackupBucket; Include = $days.ForEach({ "*_$($_.ToString('yyyyMMdd'))_*" }) }
if ($PSBoundParameters.ContainsKey('AsOf')) { $listing.AsOf = $AsOf }

# One listing per month keeps the prefix (and so the listing) as narrow as S3 allows.
$months = $days | ForEach-Object { $_.ToString('yyyy/MM') } | Select-Object -Unique
$objects = foreach ($month in $months) { Get-S3BackupObject @listing -Prefix "imap/$Instrument/$Level/$month/" }
Write-Output "$(@($objects).Count) backup object(s) for $Instrument $Level from $($From.ToString('yyyy-MM-dd')) to $($To.ToString('yyyy-MM-dd'))"

$results = $objects | Sync-S3BackupToSource -SourceBucket $SourceBucket -IncludeSkipped -WhatIf:$WhatIfPreference
$results | Sort-Object Key | Format-Table Action, Reason, Key -AutoSize
$results | Group-Object Action | ForEach-Object { Write-Output ('{0,-12} {1,6}' -f $_.Name, $_.Count) }
