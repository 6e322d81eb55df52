#Requires -Version 7.4
<#
    The runbook's account layout on a local S3 server from tests/s3server/LocalS3.psm1, the one fixture behind both
    build.ps1 Demo and build.ps1 Sandbox: an operator, the backup role, the two versioned buckets with a month of
    instrument files, and profile files of their own (never ~/.aws).
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../s3server/LocalS3.psm1')

$script:SourceBucket = 'sds-data-dev'
$script:BackupBucket = 'sds-data-dev-backup'
$script:RoleName = 'BackupRole'
$script:OperatorName = 'hartnett'
# What the role may do: list (versions too, as the runbook's s3:List* does), read and write objects, read bucket
# settings; not change or delete buckets.
$script:RoleActions = 's3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketLocation', 's3:GetBucketVersioning', 's3:GetReplicationConfiguration',
    's3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObject', 's3:PutObjectTagging',
    's3:DeleteObject', 's3:DeleteObjectVersion'

function Get-InstrumentFileKey {
    <#
    .SYNOPSIS
        The keys of the fixture's level-1a files, as the science data centre lays them out:
        imap/<instrument>/l1a/2025/01/imap_<instrument>_l1a_sci_202501<day>_v001.cdf, instrument by instrument.
    #>
    [CmdletBinding()]
    param([string[]] $Instrument = @('mag', 'swe', 'codice', 'hit'), [int] $Days = 15)
    foreach ($name in $Instrument) {
        foreach ($day in 1..$Days) { 'imap/{0}/l1a/2025/01/imap_{0}_l1a_sci_202501{1:D2}_v001.cdf' -f $name, $day }
    }
}

function New-RunbookFixture {
    <#
    .SYNOPSIS
        Creates the runbook's operator, backup role and buckets on a local server and writes profile files for them;
        returns what was made (no keys) and a few lines that describe it.
    .DESCRIPTION
        The buckets sds-data-dev and sds-data-dev-backup, both versioned, hold what replication left: 60 files under
        imap/<instrument>/l1a/2025/01/, 8 of them with an older version (a processing run that was redone). The source
        has since lost 6 files and 2 were overwritten with other content of the same size, changes the backup never saw.
        A bucket policy keeps the backup's objects from deletion. The credentials file holds the operator's keys
        (profile imap) and the server's admin keys (profile source-admin, the source account's administrator).
    .PARAMETER RunbookDone
        Also what the runbook's first steps set up, which the Demo walks through itself: the operator in the role's trust
        policy, the replication rule from the source to the backup, and [profile backup-role]. A sandbox starts this way.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Server,
        [Parameter(Mandatory)] [string] $ModulePath,
        # Where the config and credentials files go (created; files there are replaced).
        [Parameter(Mandatory)] [string] $ProfileFolder,
        [switch] $RunbookDone
    )
    $operator = New-LocalS3User -Server $Server -Name $script:OperatorName
    $trust = @{ TrustedService = 's3.amazonaws.com' }
    if ($RunbookDone) { $trust.TrustedPrincipal = $operator.Arn }
    $role = New-LocalS3Role -Server $Server -Name $script:RoleName -AllowedAction $script:RoleActions @trust

    $profiles = Write-RunbookProfileFile -Server $Server -Operator $operator -RoleArn $role.Arn -Folder $ProfileFolder -RunbookDone:$RunbookDone

    foreach ($bucket in $script:SourceBucket, $script:BackupBucket) {
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket -Versioned
    }
    $files = @(Get-InstrumentFileKey)
    # The last two days of each instrument were processed twice: both runs replicated, so both buckets keep the first as an older version.
    $reprocessed = @($files | Where-Object { $_ -match '_2025011[45]_' })
    $lost = @($files | Select-Object -First 6)
    $overwritten = @($files | Select-Object -Skip 6 -First 2)
    $write = @{ Server = $Server; ModulePath = $ModulePath }
    foreach ($bucket in $script:SourceBucket, $script:BackupBucket) {
        $reprocessed | Write-LocalS3Object @write -Bucket $bucket -Content 'science data v0'
    }
    $files | Write-LocalS3Object @write -Bucket $script:BackupBucket -Content 'science data v1'
    $files | Where-Object { $_ -notin $lost } | Write-LocalS3Object @write -Bucket $script:SourceBucket -Content 'science data v1'
    $overwritten | Write-LocalS3Object @write -Bucket $script:SourceBucket -Content 'science data v2'

    # Backups are kept from deletion by a bucket policy, as a backup account would have.
    $protect = @{ Version = '2012-10-17'; Statement = @(@{ Sid = 'KeepBackups'; Effect = 'Deny'; Principal = '*'
                Action = @('s3:DeleteObject', 's3:DeleteObjectVersion'); Resource = @("arn:aws:s3:::$script:BackupBucket/*") }) } | ConvertTo-Json -Depth 5 -Compress
    $admin = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try {
        $null = $admin.PutBucketPolicyAsync($script:BackupBucket, $protect).GetAwaiter().GetResult()
        if ($RunbookDone) { Set-BackupReplicationRule -Client $admin -RoleArn $role.Arn }
    }
    finally { $admin.Dispose() }

    $trustedBy = if ($RunbookDone) { "s3.amazonaws.com and $($operator.Arn)" } else { 'only s3.amazonaws.com, as SdsDataManager creates it' }
    $profileNames = if ($RunbookDone) { 'imap, backup-role and source-admin' } else { 'imap and source-admin' }
    [pscustomobject]@{
        SourceBucket    = $script:SourceBucket
        BackupBucket    = $script:BackupBucket
        Operator        = $operator.Arn
        Role            = $role.Arn
        RoleActions     = $script:RoleActions
        InstrumentFiles = $files
        ConfigFile      = $profiles.Config
        CredentialsFile = $profiles.Credentials
        BackupPolicy    = $protect
        Description     = @(
            "user $($operator.Arn), role $($role.Arn) (trusts $trustedBy)"
            "the role may: $($script:RoleActions -join ', ')"
            "AWS_CONFIG_FILE=$($profiles.Config): profiles $profileNames with endpoint_url = $($Server.Endpoint)"
            'and checksums when_required (Ceph RGW, like many S3-compatible servers, needs that)'
            "buckets $script:SourceBucket and $script:BackupBucket, both versioned; $($files.Count) files in the backup ($($reprocessed.Count) with an older version), $($lost.Count) lost and $($overwritten.Count) overwritten (same size) in the source"
            $(if ($RunbookDone) { "replication rule ReplicateToBackup: $script:SourceBucket -> $script:BackupBucket, delete markers not replicated (the local server stores the rule but never replicates: write to both buckets to play replication)" })
            "bucket policy on ${script:BackupBucket}: $protect"
        ) | Where-Object { $_ }
    }
}

function Write-RunbookProfileFile([pscustomobject] $Server, [pscustomobject] $Operator, [string] $RoleArn, [string] $Folder, [switch] $RunbookDone) {
    $null = New-Item -ItemType Directory -Force $Folder
    # How any user points the AWS SDK at an S3-compatible server: the standard endpoint and checksum settings of a profile.
    $serverSettings = "region = us-east-1`nendpoint_url = $($Server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
    $config = "# the operator's own profile`n[profile imap]`n$serverSettings`n# the source account's administrator`n[profile source-admin]`n$serverSettings"
    if ($RunbookDone) {
        # What Set-BackupRoleProfile -CopySourceSettings writes: a role profile is read on its own, so it carries the server settings too.
        $config += "`n# the backup role, assumed with the operator's keys`n[profile backup-role]`nrole_arn = $RoleArn`nsource_profile = imap`n$serverSettings"
    }
    $credentials = "[imap]`naws_access_key_id = $($Operator.AccessKey)`naws_secret_access_key = $($Operator.SecretKey)`n" +
        "[source-admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n"
    $paths = [pscustomobject]@{ Config = Join-Path $Folder 'config'; Credentials = Join-Path $Folder 'credentials' }
    [IO.File]::WriteAllText($paths.Config, $config)
    [IO.File]::WriteAllText($paths.Credentials, $credentials)
    # Keys: readable by their owner only, as the aws CLI keeps ~/.aws/credentials.
    if (-not $IsWindows) { [IO.File]::SetUnixFileMode($paths.Credentials, [IO.UnixFileMode]'UserRead, UserWrite') }
    $paths
}

function Set-BackupReplicationRule($Client, [string] $RoleArn) {
    # The rule the runbook's New-S3BackupReplicationRule adds: every new object to the backup, deletions not replicated
    # (so the backup keeps what the source deletes). The local server stores the rule but never replicates.
    $rule = [Amazon.S3.Model.ReplicationRule]@{
        Id                      = 'ReplicateToBackup'
        Priority                = 1
        Status                  = [Amazon.S3.ReplicationRuleStatus]::Enabled
        Filter                  = [Amazon.S3.Model.ReplicationRuleFilter]@{ Prefix = '' }
        DeleteMarkerReplication = [Amazon.S3.Model.DeleteMarkerReplication]@{ Status = [Amazon.S3.DeleteMarkerReplicationStatus]::Disabled }
        Destination             = [Amazon.S3.Model.ReplicationDestination]@{ BucketArn = "arn:aws:s3:::$script:BackupBucket" }
    }
    $configuration = [Amazon.S3.Model.ReplicationConfiguration]@{ Role = $RoleArn }
    $configuration.Rules = [System.Collections.Generic.List[Amazon.S3.Model.ReplicationRule]]::new()
    $configuration.Rules.Add($rule)
    $request = [Amazon.S3.Model.PutBucketReplicationRequest]@{ BucketName = $script:SourceBucket; Configuration = $configuration }
    $null = $Client.PutBucketReplicationAsync($request).GetAwaiter().GetResult()
}

Export-ModuleMember -Function New-RunbookFixture, Get-InstrumentFileKey
