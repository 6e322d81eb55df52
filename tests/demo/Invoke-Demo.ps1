#Requires -Version 7.4
<#
    The backup runbook, walked against a local S3 server (Ceph RGW) started by build.ps1 Demo. Each step shows
    the command an operator types and what they see. Profiles go to a throw-away folder, never ~/.aws.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ServerFile
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$server = Get-Content $ServerFile -Raw | ConvertFrom-Json
Import-Module (Join-Path $PSScriptRoot '../s3server/LocalS3.psm1')

function Show-Step([string] $Title) { Write-Host "`n### $Title" -ForegroundColor Yellow }

function Invoke-Shown([scriptblock] $Command) {
    Write-Host "PS> $($Command.ToString().Trim())" -ForegroundColor Green
    & $Command | Out-Host
}

# The account layout of the runbook: an operator (their own keys in profile "imap"), the role that
# SdsDataManager created, and the two versioned buckets.
Show-Step 'Fixtures on the local server: operator, backup role, versioned buckets'
$operator = New-LocalS3User -Server $server -Name 'hartnett'
# What the role may do: list (versions too, as the runbook's s3:List* does), read and write objects, read bucket
# settings; not change or delete buckets.
$roleActions = 's3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketLocation', 's3:GetBucketVersioning', 's3:GetReplicationConfiguration', 's3:GetObject',
    's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'
$role = New-LocalS3Role -Server $server -Name 'BackupRole' -TrustedService 's3.amazonaws.com' -AllowedAction $roleActions
Write-Host "    user $($operator.Arn), role $($role.Arn) (trusts only s3.amazonaws.com, as SdsDataManager creates it)"
Write-Host "    the role may: $($roleActions -join ', ')"

$awsFolder = Join-Path $server.Root 'demo-aws'
$null = New-Item -ItemType Directory -Force $awsFolder
[IO.File]::WriteAllText((Join-Path $awsFolder 'credentials'), "[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n")
# How any user points the AWS SDK at an S3-compatible server: the standard endpoint and checksum settings of a profile.
$serverSettings = "region = us-east-1`nendpoint_url = $($server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
[IO.File]::WriteAllText((Join-Path $awsFolder 'config'), "# the operator's own profile`n[profile imap]`n$serverSettings`n# the source account's administrator`n[profile source-admin]`n$serverSettings")
$env:AWS_CONFIG_FILE = Join-Path $awsFolder 'config'
$env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $awsFolder 'credentials'
Write-Host "    AWS_CONFIG_FILE=$($env:AWS_CONFIG_FILE): profiles imap and source-admin with endpoint_url = $($server.Endpoint)"
Write-Host "    and checksums when_required (Ceph RGW, like many S3-compatible servers, needs that)"

foreach ($bucket in 'sds-data-dev', 'sds-data-dev-backup') {
    New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name $bucket -Versioned
}
# What replication left in the backup: a month of files for two instruments. The source lost some of them.
$instrumentFiles = foreach ($instrument in 'mag', 'swe') {
    foreach ($day in 1..12) { 'imap/{0}/l1a/2025/01/imap_{0}_l1a_sci_202501{1:D2}_v001.cdf' -f $instrument, $day }
}
$instrumentFiles | Write-LocalS3Object -Server $server -ModulePath $ModulePath -Bucket sds-data-dev-backup -Content 'science data v1'
$instrumentFiles | Select-Object -Skip 6 | Write-LocalS3Object -Server $server -ModulePath $ModulePath -Bucket sds-data-dev -Content 'science data v1'
$instrumentFiles | Select-Object -Skip 6 -First 2 | Write-LocalS3Object -Server $server -ModulePath $ModulePath -Bucket sds-data-dev -Content 'science data v2'
Write-Host "    buckets sds-data-dev and sds-data-dev-backup, both versioned; $($instrumentFiles.Count) files in the backup, 6 lost and 2 overwritten (same size) in the source"
# Backups are kept from deletion by a bucket policy, as a backup account would have.
$protect = @{ Version = '2012-10-17'; Statement = @(@{ Sid = 'KeepBackups'; Effect = 'Deny'; Principal = '*'
        Action = @('s3:DeleteObject', 's3:DeleteObjectVersion'); Resource = @('arn:aws:s3:::sds-data-dev-backup/*') }) } | ConvertTo-Json -Depth 5 -Compress
$admin = New-LocalS3Client -Server $server -ModulePath $ModulePath
try { $null = $admin.PutBucketPolicyAsync('sds-data-dev-backup', $protect).GetAwaiter().GetResult() } finally { $admin.Dispose() }
Write-Host "    bucket policy on sds-data-dev-backup: $protect"

Import-Module (Join-Path $ModulePath 'S3Replication.psd1')

# The source account's administrator (here the server's admin user, owner of the buckets) manages replication.
[IO.File]::AppendAllText($env:AWS_SHARED_CREDENTIALS_FILE, "[source-admin]`naws_access_key_id = $($server.AccessKey)`naws_secret_access_key = $($server.SecretKey)`n")

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

Write-Host "`nDemo finished: every step above ran against the local S3 server at $($server.Endpoint)." -ForegroundColor Yellow
