#Requires -Version 7.4
<#
    The backup runbook, walked against a local S3 server (Ceph RGW) started by build.ps1 Demo, then the bad day: a
    processing run gone wrong, its forensics, the rollback to the moment before it and the undo of that rollback. Each
    step shows the command an operator types and what they see. Profiles go to a throw-away folder, never ~/.aws.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ServerFile,
    # Where the rollback's records and the source listings at each stage of the incident are kept (default: in the
    # server's folder, gone with it).
    [string] $WorkFolder
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$server = Get-Content $ServerFile -Raw | ConvertFrom-Json
# A full path: the incident part works in its own folder.
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module (Join-Path $PSScriptRoot '../s3server/LocalS3.psm1')
Import-Module (Join-Path $PSScriptRoot 'RunbookFixture.psm1')

function Show-Step([string] $Title) { Write-Host "`n### $Title" -ForegroundColor Yellow }

function Invoke-Shown([scriptblock] $Command) {
    Write-Host "PS> $($Command.ToString().Trim())" -ForegroundColor Green
    & $Command | Out-Host
}

# The account layout of the runbook (the same fixture as build.ps1 Sandbox, without the steps this demo walks): an
# operator (their own keys in profile "imap"), the role that SdsDataManager created, and the two versioned buckets.
Show-Step 'Fixtures on the local server: operator, backup role, versioned buckets'
$lab = New-RunbookFixture -Server $server -ModulePath $ModulePath -ProfileFolder (Join-Path $server.Root 'demo-aws')
$env:AWS_CONFIG_FILE = $lab.ConfigFile
$env:AWS_SHARED_CREDENTIALS_FILE = $lab.CredentialsFile
$lab.Description | ForEach-Object { Write-Host "    $_" }

Import-Module (Join-Path $ModulePath 'S3Replication.psd1')

Show-Step 'Runbook step 1: a replication rule that backs up new objects (an unrelated rule is already there)'
Invoke-Shown { New-S3BackupReplicationRule -ProfileName source-admin -SourceBucket sds-data-dev -DestinationBucket sds-data-dev-backup -DestinationAccountId 123456789012 -RoleArn arn:aws:iam:::role/BackupRole -RuleId analytics-copy -Prefix analytics/ -Priority 5 }
Invoke-Shown { New-S3BackupReplicationRule -ProfileName source-admin -SourceBucket sds-data-dev -DestinationBucket sds-data-dev-backup -DestinationAccountId 123456789012 -RoleArn arn:aws:iam:::role/BackupRole -WhatIf }
Invoke-Shown { New-S3BackupReplicationRule -ProfileName source-admin -SourceBucket sds-data-dev -DestinationBucket sds-data-dev-backup -DestinationAccountId 123456789012 -RoleArn arn:aws:iam:::role/BackupRole }
Invoke-Shown { Get-S3BackupReplicationRule -ProfileName source-admin -Bucket sds-data-dev | Sort-Object Priority }
Write-Host '    (the local server drops the destination account and role from stored rules; AWS keeps them)'

Show-Step 'Runbook: the profiles you have'
Invoke-Shown { Get-AwsConfigProfile }

Show-Step 'Runbook: add a [profile backup-role] to ~/.aws/config (preview, then write)'
Write-Host '    (-CopySourceSettings: a role profile is read on its own, so it needs the server settings of imap too)'
Invoke-Shown { Set-BackupRoleProfile -Name backup-role -RoleArn arn:aws:iam:::role/BackupRole -SourceProfile imap -CopySourceSettings -WhatIf }
Invoke-Shown { Set-BackupRoleProfile -Name backup-role -RoleArn arn:aws:iam:::role/BackupRole -SourceProfile imap -CopySourceSettings -PassThru }
Write-Host '    the config file now reads:'
Get-Content $env:AWS_CONFIG_FILE | ForEach-Object { Write-Host "      $_" }

Show-Step 'Runbook: add your user to the role''s trust policy (preview, then write; a second run changes nothing)'
Invoke-Shown { Add-BackupRoleTrustPrincipal -ProfileName source-admin -RoleName BackupRole -PrincipalArn arn:aws:iam:::user/hartnett -WhatIf }
Invoke-Shown { Add-BackupRoleTrustPrincipal -ProfileName source-admin -RoleName BackupRole -PrincipalArn arn:aws:iam:::user/hartnett }
Invoke-Shown { Add-BackupRoleTrustPrincipal -ProfileName source-admin -RoleName BackupRole -PrincipalArn arn:aws:iam:::user/hartnett }
Invoke-Shown { (Get-BackupRoleTrustPolicy -ProfileName source-admin -RoleName BackupRole).Principals }

Show-Step 'Runbook: check your credentials. Your own user cannot reach the buckets...'
Invoke-Shown { Test-S3BackupAccess -ProfileName imap -Bucket sds-data-dev -Probe List, Read }

Show-Step '...the backup role can: assume it and check what the restore needs (with a write probe on the source)'
Invoke-Shown { Connect-S3Backup -ProfileName backup-role -Bucket sds-data-dev -PassThru }
Invoke-Shown { Get-S3BackupSession | Format-List ProfileName, CredentialChain, Expiration }
Invoke-Shown { Test-S3BackupAccess -Bucket sds-data-dev, sds-data-dev-backup }
Invoke-Shown { Test-S3BackupAccess -Bucket sds-data-dev -Probe Write }

Show-Step 'Runbook: if anything fails, check permissions by downloading and uploading locally'
$checkFolder = Join-Path $server.Root 'demo-check'
Invoke-Shown { Get-S3BackupObject -Bucket sds-data-dev-backup -Prefix imap/mag/ | Select-Object -First 3 | Save-S3BackupObject -Destination $checkFolder }
Invoke-Shown { Write-S3BackupObject -Path (Join-Path $checkFolder 'imap/mag') -Bucket sds-data-dev -Prefix tmp/permission-check }
# The check's uploads are not data: the demo removes them again (the module has no delete cmdlet; an operator would use the console or aws s3 rm).
$cleanup = New-LocalS3Client -Server $server -ModulePath $ModulePath
try {
    $checked = $cleanup.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = 'sds-data-dev'; Prefix = 'tmp/permission-check/' }).GetAwaiter().GetResult().S3Objects
    foreach ($object in @($checked)) { $null = $cleanup.DeleteObjectAsync('sds-data-dev', $object.Key).GetAwaiter().GetResult() }
    Write-Host "(removed the $(@($checked).Count) check uploads under s3://sds-data-dev/tmp/permission-check/ again)"
}
finally { $cleanup.Dispose() }

Show-Step 'Runbook: what differs between the source and its backup?'
Invoke-Shown { Compare-S3BackupBucket -SourceBucket sds-data-dev -BackupBucket sds-data-dev-backup -Prefix imap/ | Sort-Object Key }

Show-Step 'A filtered restore: only the magnetometer files, previewed first'
Invoke-Shown { Sync-S3BackupToSource -BackupBucket sds-data-dev-backup -SourceBucket sds-data-dev -Prefix imap/mag/ -WhatIf }
Invoke-Shown { Get-S3BackupObject -Bucket sds-data-dev-backup -Prefix imap/mag/ -Include '*_2025010[1-4]_*' | Sync-S3BackupToSource -SourceBucket sds-data-dev | Sort-Object Key }

Show-Step 'Runbook: the full restore (what aws s3 sync would do, but same-size changes too)'
Invoke-Shown { Sync-S3BackupToSource -BackupBucket sds-data-dev-backup -SourceBucket sds-data-dev -Verbose | Sort-Object Key }
Invoke-Shown { Compare-S3BackupBucket -SourceBucket sds-data-dev -BackupBucket sds-data-dev-backup -Prefix imap/ -IncludeEqual | Group-Object State | Select-Object Name, Count }

# The bad day. The operator works in a folder of their own: the rollback's records go there.
$WorkFolder = if ($WorkFolder) { $WorkFolder } else { Join-Path $server.Root 'demo-work' }
$null = New-Item -ItemType Directory -Force $WorkFolder
Set-Location $WorkFolder

# What the source's imap/ holds at each stage (key, size, ETag, version), kept in the work folder so the stages can be
# compared afterwards; tests/pester/Demo.Tests.ps1 checks them against the backup.
function Save-SourceListing([string] $Stage) {
    Get-S3BackupObject -Bucket sds-data-dev -Prefix imap/ | Select-Object Key, Size, ETag, VersionId | Export-Csv (Join-Path $WorkFolder "source-$Stage.csv")
}

# The bad processing run, written with the server's admin keys: to the source, and to the backup as replication would
# carry it (the local server does not replicate). Deletions stay in the source: the rule does not replicate delete markers.
function Invoke-BadProcessingRun {
    $files = $lab.InstrumentFiles
    $deletedFolder = 'imap/hit/l1a/2025/01/'
    $overwritten = @($files | Where-Object { -not $_.StartsWith($deletedFolder) } | Select-Object -First 40)
    $deleted = @($files | Where-Object { $_.StartsWith($deletedFolder) })
    $scratch = @(1..200 | ForEach-Object { 'imap/tmp/reprocess-20250131/scratch_{0:D4}.tmp' -f $_ })
    $write = @{ Server = $server; ModulePath = $ModulePath }
    foreach ($bucket in 'sds-data-dev', 'sds-data-dev-backup') {
        # 'bad calibration' has the length of 'science data v1': a same-size overwrite, which a size comparison misses.
        $overwritten | Write-LocalS3Object @write -Bucket $bucket -Content 'bad calibration'
        $scratch | Write-LocalS3Object @write -Bucket $bucket -Content 'partial output'
    }
    $admin = New-LocalS3Client @write
    try { foreach ($key in $deleted) { $null = $admin.DeleteObjectAsync('sds-data-dev', $key).GetAwaiter().GetResult() } }
    finally { $admin.Dispose() }
    Write-Host "    the run overwrote $($overwritten.Count) files with output of the same size, deleted $deletedFolder ($($deleted.Count) files)"
    Write-Host "    and left $($scratch.Count) scratch files under imap/tmp/. Replication carries its writes to the backup, not its deletions"
    Write-Host '    (the rule does not replicate delete markers); the local server does not replicate, so the demo wrote them there itself.'
}

Show-Step 'The bad day: a processing run goes wrong after T'
# LastModified is kept to the second here: T falls a little over a second after the last good write and before the first bad one.
Start-Sleep -Milliseconds 1200
$T = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [cultureinfo]::InvariantCulture)
Write-Host "PS> `$T = '$T'   # the last good moment, from the processing logs (ISO 8601, UTC)" -ForegroundColor Green
Start-Sleep -Milliseconds 1200
Invoke-BadProcessingRun

Show-Step 'Forensics: every version written to the backup at or after T, by folder'
Invoke-Shown { Get-S3BackupObject -Bucket sds-data-dev-backup -AllVersions -ModifiedAfter $T | Group-Object { $_.Key -replace '[^/]+$' } | Select-Object Count, Name }
Write-Host '    one file''s history: the same size, another ETag after T'
Invoke-Shown { Get-S3BackupObject -Bucket sds-data-dev-backup -Prefix imap/mag/l1a/2025/01/imap_mag_l1a_sci_20250101_v001.cdf -AllVersions | Select-Object ETag, Size, LastModified, IsLatest }
Write-Host '    the deletions only the source shows (its delete markers)'
Invoke-Shown { Get-S3BackupObject -Bucket sds-data-dev -AllVersions -ModifiedAfter $T | Where-Object IsDeleteMarker | Group-Object { $_.Key -replace '[^/]+$' } | Select-Object Count, Name }

Show-Step 'The rollback, previewed: imap/ as the backup had it at T; -Mirror also removes what was written after T'
Invoke-Shown { Sync-S3BackupToSource -BackupBucket sds-data-dev-backup -SourceBucket sds-data-dev -Prefix imap/ -AsOf $T -Mirror -WhatIf | Group-Object Action, Reason | Select-Object Count, Name }

Show-Step 'The rollback, its records kept: they say what each key held and are what an undo needs'
Save-SourceListing 'before-rollback'
Invoke-Shown { Sync-S3BackupToSource -BackupBucket sds-data-dev-backup -SourceBucket sds-data-dev -Prefix imap/ -AsOf $T -Mirror | Export-Csv ./rollback.csv }
Save-SourceListing 'after-rollback'
Invoke-Shown { Import-Csv ./rollback.csv | Group-Object Action, Reason | Select-Object Count, Name }
Write-Host '    check: the source''s imap/ against the backup as of T'
Invoke-Shown { Compare-S3BackupBucket -SourceBucket sds-data-dev -BackupBucket sds-data-dev-backup -Prefix imap/ -AsOf $T -IncludeEqual | Group-Object State | Select-Object Count, Name }

Show-Step 'Rolled back too far? Undo the rollback from its records: preview, then do it'
Invoke-Shown { Import-Csv ./rollback.csv | Undo-S3BackupRestore -WhatIf | Group-Object Action, Reason | Select-Object Count, Name }
Invoke-Shown { Import-Csv ./rollback.csv | Undo-S3BackupRestore -Confirm:$false | Group-Object Action, Reason | Select-Object Count, Name }
Save-SourceListing 'after-undo'
Write-Host '    check: the source is as the bad run left it again (the backup has the bad run''s writes, not its deletions)'
Invoke-Shown { Compare-S3BackupBucket -SourceBucket sds-data-dev -BackupBucket sds-data-dev-backup -Prefix imap/ -IncludeEqual | Group-Object State | Select-Object Count, Name }

Write-Host "`nDemo finished: every step above ran against the local S3 server at $($server.Endpoint)." -ForegroundColor Yellow
