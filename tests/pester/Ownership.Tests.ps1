# What a restore sends about ownership, read off the wire by a proxy in front of the server: the expected bucket owner
# on every request and the ACL only where the bucket owner would otherwise not own the objects (-Acl Auto).
# moto_server knows its account (STS GetCallerIdentity answers 123456789012) and keeps replication rules, so on it the
# accounts are known; Ceph RGW answers GetCallerIdentity 405, so on it the writer's account is not known.
# Neither server enforces x-amz-expected-bucket-owner or object ownership settings: a refused owner is tested in xunit
# (OwnershipTests, against the loopback stand-in that does).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
    Add-Type -Path $env:S3R_FAULT_PROXY
    $motoAccount = '123456789012'
    $moto = Start-MotoServer -Folder (Join-Path $TestDrive 'moto')
    # Fault rate 0: the proxies only watch.
    $motoWire = [S3Replication.FaultProxy.FaultProxy]::Start($moto.Endpoint, 0, 1)
    $cephWire = [S3Replication.FaultProxy.FaultProxy]::Start($Server.Endpoint, 0, 1)

    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'ops')
    $role = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupRole') -TrustedPrincipal $operator.Arn -AllowedAction 's3:*'
    $cephSettings = "request_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials ("[moto]`naws_access_key_id = moto`naws_secret_access_key = moto`n[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n" +
            "[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n") `
        -Config ("[profile moto]`nendpoint_url = $($motoWire.Endpoint)`nregion = us-east-1`n" +
            "[profile admin]`n$(Get-LocalProfileSetting)`n[profile imap]`n$(Get-LocalProfileSetting)`n" +
            "[profile backup-role]`nrole_arn = $($role.Arn)`nsource_profile = imap`nendpoint_url = $($cephWire.Endpoint)`n$cephSettings")

    $keys = 'imap/mag/a.cdf', 'imap/mag/b.cdf', 'imap/swe/c.cdf'
    $motoBackup = New-TestName 'owned-backup'
    # Buckets on moto, versioned; objects in the backup; with -ReplicatesTo, a rule sending the bucket's objects to the backup in moto's account.
    function New-MotoBucket([string] $Name, [string[]] $Keys = @(), [switch] $ReplicatesTo) {
        $script = @'
import boto3, sys
endpoint, bucket, backup, account, keys = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='moto', aws_secret_access_key='moto')
s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
for key in keys:
    s3.put_object(Bucket=bucket, Key=key, Body=('content of ' + key).encode())
if backup:
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={
        'Role': 'arn:aws:iam::' + account + ':role/replication',
        'Rules': [{'ID': 'backup', 'Priority': 1, 'Status': 'Enabled', 'Filter': {'Prefix': ''},
                   'DeleteMarkerReplication': {'Status': 'Disabled'},
                   'Destination': {'Bucket': 'arn:aws:s3:::' + backup, 'Account': account}}]})
'@
        & python3 -c $script $moto.Endpoint $Name ($ReplicatesTo ? $motoBackup : '') $motoAccount @Keys
        if ($LASTEXITCODE -ne 0) { throw "The moto bucket $Name could not be made." }
    }
    New-MotoBucket $motoBackup -Keys $keys

    # The S3 requests a command sent (the proxy's log from $Since on), without the STS call that asks for the session's account.
    function Get-S3Request($Wire, [int] $Since) {
        @($Wire.Seen | Select-Object -Skip $Since | Where-Object { -not ($_.Method -eq 'POST' -and $_.PathAndQuery -eq '/') })
    }
    function Get-AclHeader($Requests) { @($Requests | ForEach-Object { $_.Header('x-amz-acl') } | Where-Object { $_ }) }
}

AfterAll {
    $motoWire.Dispose(); $cephWire.Dispose()
    $moto | Stop-StandIn
}

Describe 'A restore by the bucket owner''s account (moto: accounts known)' -ForEach @(
    @{ Entrance = 'bucket names'; Restore = { param($Source) Sync-S3BackupToSource -ProfileName moto -BackupBucket $motoBackup -SourceBucket $Source } }
    @{ Entrance = 'piped object records'; Upstream = { Get-S3BackupObject -ProfileName moto -Bucket $motoBackup }
        Restore = { param($Source, $Rows) $Rows | Sync-S3BackupToSource -ProfileName moto -SourceBucket $Source } }
    @{ Entrance = 'piped compare results'; Upstream = { param($Source) Compare-S3BackupBucket -ProfileName moto -BackupBucket $motoBackup -SourceBucket $Source }
        Restore = { param($Source, $Rows) $Rows | Sync-S3BackupToSource -ProfileName moto } }
    @{ Entrance = 'imported CSV rows'; Upstream = { $csv = Join-Path $TestDrive "rows-$(New-Guid).csv"; Get-S3BackupObject -ProfileName moto -Bucket $motoBackup | Export-Csv $csv; Import-Csv $csv }
        Restore = { param($Source, $Rows) $Rows | Sync-S3BackupToSource -ProfileName moto -SourceBucket $Source } }
) {
    BeforeAll {
        $source = New-TestName 'owned-source'
        New-MotoBucket $source -ReplicatesTo
        $rows = if ($Upstream) { @(& $Upstream $source) }
        $since = $motoWire.Seen.Count
        $VerbosePreference = 'Continue'
        $results = @(& $Restore $source $rows 4>&1)
        $VerbosePreference = 'SilentlyContinue'
        $requests = Get-S3Request $motoWire $since
    }

    It '<Entrance>: copies every object' {
        @($results | Where-Object Action -EQ 'Copied').Key | Sort-Object | Should -Be $keys
    }

    It '<Entrance>: every S3 request expects the bucket to be the account''s, copies expect it of their source too' {
        $requests.Count | Should -BeGreaterThan $keys.Count
        @($requests | Where-Object { $_.Header('x-amz-expected-bucket-owner') -ne $motoAccount }) | Should -BeNullOrEmpty
        $copies = @($requests | Where-Object { $_.Header('x-amz-copy-source') })
        $copies.Count | Should -Be $keys.Count
        @($copies | Where-Object { $_.Header('x-amz-source-expected-bucket-owner') -ne $motoAccount }) | Should -BeNullOrEmpty
    }

    It '<Entrance>: sends no ACL, as the objects the account writes are its own, and says so' {
        Get-AclHeader $requests | Should -BeNullOrEmpty
        @($requests | Where-Object PathAndQuery -Like '*ownershipControls*') | Should -BeNullOrEmpty -Because 'a writer that owns the bucket needs no ownership settings'
        $notes = @($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $notes | Should -Contain "Expected bucket owners: s3://$motoBackup $motoAccount, s3://$source $motoAccount."
        $notes | Where-Object { $_ -like "Objects written into s3://$source carry*" } | Should -Not -BeNullOrEmpty
    }
}

Describe 'Other commands on moto' {
    It 'a compare expects the owners on every request and writes nothing' {
        $source = New-TestName 'owned-compare'
        New-MotoBucket $source -ReplicatesTo
        $since = $motoWire.Seen.Count
        @(Compare-S3BackupBucket -ProfileName moto -BackupBucket $motoBackup -SourceBucket $source).Count | Should -Be $keys.Count
        $requests = Get-S3Request $motoWire $since
        @($requests | Where-Object { $_.Header('x-amz-expected-bucket-owner') -ne $motoAccount }) | Should -BeNullOrEmpty
        @($requests | Where-Object Method -In 'PUT', 'POST', 'DELETE') | Should -BeNullOrEmpty
    }

    It '-BackupAccountId names the backup''s owner where no rule does' {
        $source = New-TestName 'owned-norule'
        New-MotoBucket $source
        $since = $motoWire.Seen.Count
        $null = Sync-S3BackupToSource -ProfileName moto -BackupBucket $motoBackup -SourceBucket $source -BackupAccountId $motoAccount
        $requests = Get-S3Request $motoWire $since
        @($requests | Where-Object { $_.PathAndQuery -like "/$motoBackup*" -and $_.Header('x-amz-expected-bucket-owner') -ne $motoAccount }) | Should -BeNullOrEmpty
        @($requests | Where-Object { $_.Header('x-amz-copy-source') -and $_.Header('x-amz-source-expected-bucket-owner') -ne $motoAccount }) | Should -BeNullOrEmpty
    }

    It '-Acl BucketOwnerFullControl sends the ACL on every copy though the account owns the bucket' {
        $source = New-TestName 'owned-acl'
        New-MotoBucket $source -ReplicatesTo
        $since = $motoWire.Seen.Count
        $null = Sync-S3BackupToSource -ProfileName moto -BackupBucket $motoBackup -SourceBucket $source -Acl BucketOwnerFullControl
        $copies = @(Get-S3Request $motoWire $since | Where-Object { $_.Header('x-amz-copy-source') })
        $copies.Count | Should -Be $keys.Count
        @($copies | Where-Object { $_.Header('x-amz-acl') -ne 'bucket-owner-full-control' }) | Should -BeNullOrEmpty
    }

    It 'undoing a restore expects the source''s owner on every request' {
        $source = New-TestName 'owned-undo'
        New-MotoBucket $source -ReplicatesTo
        $restored = Sync-S3BackupToSource -ProfileName moto -BackupBucket $motoBackup -SourceBucket $source
        $since = $motoWire.Seen.Count
        @($restored | Undo-S3BackupRestore -ProfileName moto -Confirm:$false | Where-Object Action -EQ 'Undone').Count | Should -Be $keys.Count
        $requests = Get-S3Request $motoWire $since
        $requests.Count | Should -BeGreaterThan 0
        @($requests | Where-Object { $_.Header('x-amz-expected-bucket-owner') -ne $motoAccount }) | Should -BeNullOrEmpty
    }

    It 'an upload into the account''s own bucket sends no ACL' {
        $files = Join-Path $TestDrive 'upload'
        Write-RandomFile (Join-Path $files 'up.cdf') 100
        $since = $motoWire.Seen.Count
        (Write-S3BackupObject -ProfileName moto -Path $files -Bucket $motoBackup -Prefix uploaded).Action | Should -Be 'Uploaded'
        Get-AclHeader (Get-S3Request $motoWire $since) | Should -BeNullOrEmpty
    }
}

Describe 'A restore by an assumed role whose account is not known (Ceph)' {
    BeforeAll {
        $cephBackup = New-TestName 'unknown-backup'
        $cephSource = New-TestName 'unknown-source'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $cephBackup -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $cephSource -Versioned
        $keys | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $cephBackup
        $since = $cephWire.Seen.Count
        $results = @(Sync-S3BackupToSource -ProfileName backup-role -BackupBucket $cephBackup -SourceBucket $cephSource -Verbose 4>&1)
        $requests = Get-S3Request $cephWire $since
    }

    It 'sends bucket-owner-full-control on every copy, says why, and expects no owner it cannot know' {
        @($results | Where-Object Action -EQ 'Copied').Count | Should -Be $keys.Count
        $copies = @($requests | Where-Object { $_.Header('x-amz-copy-source') })
        $copies.Count | Should -Be $keys.Count
        @($copies | Where-Object { $_.Header('x-amz-acl') -ne 'bucket-owner-full-control' }) | Should -BeNullOrEmpty
        @($requests | Where-Object { $_.Header('x-amz-expected-bucket-owner') }) | Should -BeNullOrEmpty
        $notes = @($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $notes | Where-Object { $_ -like "Objects written into s3://$cephSource carry*bucket-owner-full-control*" } | Should -Not -BeNullOrEmpty
    }

    It 'leaves the restored objects readable by the bucket owner' {
        foreach ($key in $keys) { (Get-TestObject $cephSource $key).Size | Should -BeGreaterThan 0 -Because "the bucket owner reads $key" }
    }
}
