# Start-S3BackupBatchRestore, the job cmdlets and Compare-S3BackupBucket -CompareBy ComputedChecksum, end to end: a
# loopback S3 Control stand-in that runs each job's manifest against the local server (CopyObject, or reading each object
# to compute its checksum) and writes the completion report in the real format.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
    $control = Start-S3ControlStandIn -S3Endpoint $Server.Endpoint -AccessKey $Server.AccessKey -SecretKey $Server.SecretKey -Folder (Join-Path $TestDrive 's3control')
    $env:AWS_ENDPOINT_URL_S3_CONTROL = $control.Endpoint
    $null = Set-AdminProfileFile
    $PSDefaultParameterValues['*-S3Backup*:ProfileName'] = 'admin'
    # The Ceph server has no SSE-S3 key backend: the manifest goes without it, and each Start warns (checked once below).
    $PSDefaultParameterValues['Start-S3BackupBatchRestore:WarningAction'] = 'SilentlyContinue'
    $account = '111122223333'

    $batchRole = New-LocalS3Role -Server $Server -Name (New-TestName 'BatchRestore') -TrustedService 'batchoperations.s3.amazonaws.com'
    $otherRole = New-LocalS3Role -Server $Server -Name (New-TestName 'NotForBatch') -TrustedService 's3.amazonaws.com'
    $backup = New-TestName 'batch-backup'
    $source = New-TestName 'batch-source'
    $work = New-TestName 'batch-work'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $work
    $keys = @('data/a.csv', 'data/b c.csv', 'data/x+y%.csv', 'data/ünï.csv', 'data/skip.bin', 'other/one.bin', 'other/two.bin')
    foreach ($key in $keys) {
        Write-TestObject -Bucket $backup -Key $key -Bytes ([Text.Encoding]::UTF8.GetBytes("body of $key")) -Metadata @{ origin = 'backup' } -Tags @{ kept = 'yes' }
    }
    Write-TestObject -Bucket $source -Key 'data/a.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('body of data/a.csv'))

    function Get-StandInRequest { $log = Invoke-RestMethod "$($control.Endpoint)/_standin/requests" -NoProxy; $log }
    function Get-WorkObject { @(Get-S3BackupObject -Bucket $work) }
}

AfterAll {
    $control | Stop-StandIn
    Remove-Item env:AWS_ENDPOINT_URL_S3_CONTROL -ErrorAction Ignore
}

Describe 'Start-S3BackupBatchRestore' {
    It 'creates nothing with -WhatIf' {
        Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account -WhatIf
        Get-WorkObject | Should -BeNullOrEmpty
        Get-StandInRequest | Where-Object method -EQ POST | Should -BeNullOrEmpty
    }

    It 'refuses a role that Batch Operations may not assume, and creates nothing' {
        { Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -WorkBucket $work -RoleArn $otherRole.Arn -AccountId $account -ErrorAction Stop } |
            Should -Throw -ErrorId 'BatchRoleNotTrusted,*'
        $error[0].Exception.Message | Should -Match 'Add-BackupRoleTrustPrincipal'
        Get-WorkObject | Should -BeNullOrEmpty
    }

    It 'restores a filtered set: a manifest of exactly what differs, pinned to versions, approved, then copied' {
        $job = Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -Prefix data/ -Include '*.csv' -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account -WarningVariable warned
        "$warned" | Should -Match 'refused SSE-S3 for the manifest'
        $job.Status | Should -Be 'Suspended'
        $job.ExpectedTasks | Should -Be 3 -Because 'a.csv is already in the source, skip.bin is excluded'
        $job.TotalTasks | Should -Be 3
        $job.AccountId | Should -Be $account

        $manifest = Get-WorkObject | Where-Object Key -Like '*/manifest.csv'
        $rows = [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $work -Key $manifest.Key)) -split "`n" | Where-Object { $_ }
        $rows.Count | Should -Be 3
        $versions = Get-S3BackupObject -Bucket $backup -AllVersions
        foreach ($row in $rows) {
            $bucket, $encoded, $version = $row -split ','
            $bucket | Should -Be $backup
            ($versions | Where-Object Key -EQ ([Uri]::UnescapeDataString($encoded))).VersionId | Should -Be $version
        }
        $rows | Should -Contain "$backup,data/b%20c.csv,$(($versions | Where-Object Key -EQ 'data/b c.csv').VersionId)"

        $again = Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -Prefix data/ -Include '*.csv' -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account
        $again.JobId | Should -Be $job.JobId -Because 'a retried Start makes no second job'
        @(Get-S3BackupBatchJob -AccountId $account).Count | Should -Be 1

        $done = $job | Approve-S3BackupBatchJob -Confirm:$false | Wait-S3BackupBatchJob
        $done.Status | Should -Be 'Complete'
        $done.SucceededTasks | Should -Be 3
        foreach ($key in 'data/b c.csv', 'data/x+y%.csv', 'data/ünï.csv') {
            $copied = Get-TestObject -Bucket $source -Key $key
            $copied.Metadata | Should -Be 'x-amz-meta-origin=backup'
            $copied.Tags | Should -Be 'kept=yes'
        }
        (Get-S3BackupObject -Bucket $source -Prefix data/).Key | Should -Not -Contain 'data/skip.bin'
    }

    It 'restores a whole bucket; a failed task is in the report and is then restored by Sync-S3BackupToSource' {
        $null = Invoke-RestMethod -Method Post "$($control.Endpoint)/_standin/fail" -Body (@{ keys = @('other/two.bin') } | ConvertTo-Json) -ContentType 'application/json' -NoProxy
        $job = Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account -NoConfirmation
        $done = Wait-S3BackupBatchJob -InputObject $job
        $done.Status | Should -Be 'Complete'
        $done.FailedTasks | Should -Be 1
        $done.SucceededTasks | Should -Be 2

        $failed = @(Get-S3BackupBatchJobReport -InputObject $done -FailedOnly)
        $failed.Key | Should -Be 'other/two.bin'
        $failed[0].ErrorCode | Should -Be 'SlowDown'
        $failed[0].HttpStatusCode | Should -Be '503'

        $retried = $failed | Sync-S3BackupToSource -SourceBucket $source
        $retried.Action | Should -Be 'Copied'
        Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup | Where-Object State -NE MissingInBackup | Should -BeNullOrEmpty
    }

    It 'restores piped backup objects, each pinned to the version a HEAD found' {
        Write-TestObject -Bucket $backup -Key 'piped/one.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('piped one'))
        foreach ($bucket in $backup, $source) { Write-TestObject -Bucket $bucket -Key 'piped/two.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('piped two')) }
        $job = Get-S3BackupObject -Bucket $backup -Prefix piped/ -Include '*one.csv' |
            Start-S3BackupBatchRestore -SourceBucket $source -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account -NoConfirmation
        $job.ExpectedTasks | Should -Be 1
        ($job | Wait-S3BackupBatchJob).SucceededTasks | Should -Be 1
        (Get-S3BackupObject -Bucket $source -Prefix piped/).Key | Should -Be @('piped/one.csv', 'piped/two.csv')
        $manifest = Get-WorkObject | Where-Object Key -Like '*/manifest.csv' | Sort-Object LastModified | Select-Object -Last 1
        $version = (Get-S3BackupObject -Bucket $backup -Prefix piped/one.csv -AllVersions).VersionId
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $work -Key $manifest.Key)) | Should -Be "$backup,piped/one.csv,$version`n"
    }

    It 'says so and creates no job when nothing differs' {
        $before = @(Get-S3BackupBatchJob -AccountId $account).Count
        Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account -InformationVariable said -InformationAction SilentlyContinue |
            Should -BeNullOrEmpty
        "$said" | Should -Match 'No job was created'
        @(Get-S3BackupBatchJob -AccountId $account).Count | Should -Be $before
    }
}

Describe 'Job cmdlets' {
    BeforeAll {
        Write-TestObject -Bucket $backup -Key 'late/one.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('late'))
        $pending = Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -Prefix late/ -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account
    }

    It 'lists jobs by status and describes one by id' {
        (Get-S3BackupBatchJob -AccountId $account -Status Suspended).JobId | Should -Be $pending.JobId
        (Get-S3BackupBatchJob -AccountId $account -JobId $pending.JobId).Description | Should -Match 'late/'
    }

    It 'refuses to approve a job whose task count is not what was planned' {
        { Approve-S3BackupBatchJob -JobId $pending.JobId -AccountId $account -ExpectedTasks 5 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'BatchJobMismatch,*'
        (Get-S3BackupBatchJob -AccountId $account -JobId $pending.JobId).Status | Should -Be 'Suspended'
    }

    It 'changes the priority and cancels' {
        ($pending | Set-S3BackupBatchJob -Priority 50 -Confirm:$false).Priority | Should -Be 50
        ($pending | Stop-S3BackupBatchJob -Reason 'not needed' -Confirm:$false).Status | Should -Be 'Cancelled'
    }

    It 'reports a job that does not exist' {
        { Get-S3BackupBatchJob -AccountId $account -JobId 'no-such-job' -ErrorAction Stop } | Should -Throw -ErrorId 'BatchJobNotFound,*'
    }
}

Describe 'Start-S3BackupBatchReplication' {
    BeforeAll {
        # A replicated bucket whose objects all predate its rule (the runbook's "do not replicate existing objects").
        $replicated = New-TestName 'batch-replicated'
        $replica = New-TestName 'batch-replica'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $replicated -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $replica -Versioned
        foreach ($key in 'imap/old-1.cdf', 'imap/old-2.cdf', 'imap/sub dir/old-3.cdf', 'logs/not-covered.log') {
            Write-TestObject -Bucket $replicated -Key $key -Bytes ([Text.Encoding]::UTF8.GetBytes("old $key"))
        }
        $null = New-S3BackupReplicationRule -SourceBucket $replicated -DestinationBucket $replica -DestinationAccountId $account `
            -RoleArn $batchRole.Arn -RuleId ReplicateToBackup -Prefix imap/ -Confirm:$false
    }

    It 'refuses a bucket without a replication rule, creating nothing' {
        { Start-S3BackupBatchReplication -SourceBucket $source -RoleArn $batchRole.Arn -WorkBucket $work -AccountId $account -ErrorAction Stop } |
            Should -Throw -ErrorId 'RuleNotFound,*'
    }

    It 'refuses a bucket that does not exist as missing, not as one without a rule' {
        $typo = New-TestName 'no-such-bucket'
        { Start-S3BackupBatchReplication -SourceBucket $typo -RoleArn $batchRole.Arn -WorkBucket $work -AccountId $account -ErrorAction Stop } |
            Should -Throw -ErrorId 'BucketNotFound,*'
        $error[0].Exception.Message | Should -Match ([regex]::Escape($typo))
    }

    It 'backfills what the rule covers and never replicated, from a manifest S3 generates' {
        $job = Start-S3BackupBatchReplication -SourceBucket $replicated -RoleArn $batchRole.Arn -WorkBucket $work -AccountId $account -NoConfirmation
        $job.Operation | Should -Be 'S3ReplicateObject'
        $done = $job | Wait-S3BackupBatchJob
        $done.Status | Should -Be 'Complete'
        $done.SucceededTasks | Should -Be 3
        (Get-S3BackupObject -Bucket $replica).Key | Should -Be @('imap/old-1.cdf', 'imap/old-2.cdf', 'imap/sub dir/old-3.cdf')
    }

    It 'replicates exactly the MissingInBackup keys piped from Compare-S3BackupBucket' {
        Write-TestObject -Bucket $replicated -Key 'imap/new-since.cdf' -Bytes ([Text.Encoding]::UTF8.GetBytes('new'))
        $missing = Compare-S3BackupBucket -SourceBucket $replicated -BackupBucket $replica -Prefix imap/
        ($missing | Where-Object State -EQ MissingInBackup).Key | Should -Be 'imap/new-since.cdf'
        $job = $missing | Start-S3BackupBatchReplication -SourceBucket $replicated -RoleArn $batchRole.Arn -WorkBucket $work -AccountId $account
        $job.ExpectedTasks | Should -Be 1
        $done = $job | Approve-S3BackupBatchJob -Confirm:$false | Wait-S3BackupBatchJob
        $done.SucceededTasks | Should -Be 1
        Compare-S3BackupBucket -SourceBucket $replicated -BackupBucket $replica -Prefix imap/ | Should -BeNullOrEmpty
    }
}

Describe 'The stand-in speaks the real wire format' {
    It 'answers botocore (the aws CLI''s library) for the jobs the module created' {
        $script = @'
import json, sys
import botocore.session
client = botocore.session.get_session().create_client("s3control", region_name="us-east-1", endpoint_url=sys.argv[1],
    aws_access_key_id="a", aws_secret_access_key="b")
# botocore puts the account in front of every S3 Control host, and "<account>.127.0.0.1" resolves nowhere:
# send to the stand-in's address, with the request (and its signed Host header) exactly as botocore made it.
def to_loopback(request, **_):
    request.url = request.url.replace(sys.argv[2] + ".", "", 1)
client.meta.events.register("before-send.s3-control.*", to_loopback)
jobs = client.list_jobs(AccountId=sys.argv[2])["Jobs"]
job = client.describe_job(AccountId=sys.argv[2], JobId=jobs[0]["JobId"])["Job"]
print(json.dumps({"count": len(jobs), "status": job["Status"], "total": job["ProgressSummary"]["TotalNumberOfTasks"]}))
'@
        $seen = python3 -c $script $control.Endpoint $account | ConvertFrom-Json
        $LASTEXITCODE | Should -Be 0
        $seen.count | Should -Be @(Get-S3BackupBatchJob -AccountId $account).Count
        $seen.status | Should -BeIn @('Complete', 'Cancelled', 'Suspended')
    }
}

Describe 'Compare-S3BackupBucket -CompareBy ComputedChecksum' {
    # Each S3ComputeObjectChecksum job reads the objects from the local server and computes their checksums in the
    # stand-in, whose report of every task has the ResultMessage shape AWS documents no example of (see s3control.py).
    BeforeAll {
        $source = New-TestName 'verify-source'
        $backup = New-TestName 'verify-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
        # As for Start: the manifests go without SSE-S3 on the Ceph server, and each compare that creates jobs warns so.
        $PSDefaultParameterValues['Compare-S3BackupBucket:WarningAction'] = 'SilentlyContinue'
        # The compute-checksum parameters every run here gives; a test adds what it checks.
        $job = @{ CompareBy = 'ComputedChecksum'; WorkBucket = $work; RoleArn = $batchRole.Arn; AccountId = $account }

        # Equal content: plain objects, keys the manifest and the report must encode, and a 6 MiB object the backup holds as a
        # two-part multipart upload while the source holds one PUT: the ETags differ, the bytes do not.
        $same = [ordered]@{ 'same/a.bin' = (Get-RandomBytes 3000); 'same/b c+ü,"q".csv' = [Text.Encoding]::UTF8.GetBytes("a,b`n1,2`n"); 'same/empty' = [byte[]]::new(0) }
        foreach ($entry in $same.GetEnumerator()) {
            foreach ($bucket in $source, $backup) { Write-TestObject -Bucket $bucket -Key $entry.Key -Bytes $entry.Value }
        }
        $large = Get-RandomBytes (6MB)
        Write-TestObject -Bucket $source -Key 'same/large.bin' -Bytes $large
        $folder = Join-Path $TestDrive 'multipart'
        $null = New-Item -ItemType Directory -Force (Join-Path $folder 'same')
        [IO.File]::WriteAllBytes((Join-Path $folder 'same/large.bin'), $large)
        $null = Write-S3BackupObject -Path $folder -Bucket $backup -MultipartThreshold 5MB -PartSize 5MB
        # The same size, other bytes; and a size that differs, which needs no checksum.
        $sourceBytes = Get-RandomBytes 4096
        $backupBytes = Get-RandomBytes 4096
        Write-TestObject -Bucket $source -Key 'differs/same-size.bin' -Bytes $sourceBytes
        Write-TestObject -Bucket $backup -Key 'differs/same-size.bin' -Bytes $backupBytes
        Write-TestObject -Bucket $source -Key 'differs/size.txt' -Bytes ([Text.Encoding]::UTF8.GetBytes('longer in the source'))
        Write-TestObject -Bucket $backup -Key 'differs/size.txt' -Bytes ([Text.Encoding]::UTF8.GetBytes('shorter'))
        Write-TestObject -Bucket $source -Key 'only/in-source.txt' -Bytes ([Text.Encoding]::UTF8.GetBytes('new'))
        Write-TestObject -Bucket $backup -Key 'only/in-backup.txt' -Bytes ([Text.Encoding]::UTF8.GetBytes('lost'))

        function Get-CreatedJobCount { @(Get-StandInRequest | Where-Object { $_.method -eq 'POST' -and $_.path -eq '/v20180820/jobs' }).Count }
        function Set-StandInDelay([double] $Seconds) {
            $null = Invoke-RestMethod -Method Post "$($control.Endpoint)/_standin/delay" -Body (@{ seconds = $Seconds } | ConvertTo-Json) -ContentType 'application/json' -NoProxy
        }
        function Set-StandInReportEncoding([bool] $Plus) {
            $null = Invoke-RestMethod -Method Post "$($control.Endpoint)/_standin/report-encoding" -Body (@{ plus = $Plus } | ConvertTo-Json) -ContentType 'application/json' -NoProxy
        }
        function ConvertTo-Base64Sha256([byte[]] $Bytes) { [Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData([byte[]]($Bytes ?? [byte[]]::new(0)))) }
    }

    It 'finds equal content equal (a multipart backup too, whose ETag differs) and same-size other bytes as ChecksumDiffers' {
        $before = Get-CreatedJobCount
        $results = Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup @job -IncludeEqual -InformationVariable said
        $byKey = @{}
        foreach ($result in $results) { $byKey[$result.Key] = $result }

        foreach ($key in @($same.Keys) + 'same/large.bin') {
            $byKey[$key].State | Should -Be 'Equal' -Because "$key has the same bytes on both sides"
            $byKey[$key].Reason | Should -Be 'SameChecksum'
            $byKey[$key].ComputedChecksumAlgorithm | Should -Be 'CRC64NVME'
            $byKey[$key].SourceChecksum | Should -Be $byKey[$key].BackupChecksum
            [Convert]::FromBase64String($byKey[$key].BackupChecksum).Length | Should -Be 8 -Because 'a CRC64NVME checksum is 8 bytes'
        }
        $byKey['same/large.bin'].SourceETag | Should -Not -Be $byKey['same/large.bin'].BackupETag -Because 'the backup is a multipart upload: ETags alone would not tell'
        $byKey['same/empty'].BackupChecksum | Should -Be 'AAAAAAAAAAA=' -Because 'the CRC64NVME of no bytes is 0'
        ($byKey['differs/same-size.bin'].State, $byKey['differs/same-size.bin'].Reason) | Should -Be @('Different', 'ChecksumDiffers')
        $byKey['differs/same-size.bin'].SourceSize | Should -Be $byKey['differs/same-size.bin'].BackupSize
        $byKey['differs/same-size.bin'].SourceChecksum | Should -Not -Be $byKey['differs/same-size.bin'].BackupChecksum
        ($byKey['differs/size.txt'].State, $byKey['differs/size.txt'].Reason, $byKey['differs/size.txt'].BackupChecksum) | Should -Be @('Different', 'SizeDiffers', $null)
        $byKey['only/in-source.txt'].State | Should -Be 'MissingInBackup'
        $byKey['only/in-backup.txt'].State | Should -Be 'MissingInSource'

        "$said" | Should -Match "^Compared s3://$source with s3://$backup/: 1 MissingInSource, 1 MissingInBackup, 2 Different, 4 Equal \(5 by CRC64NVME checksums S3 computed: jobs "
        (Get-CreatedJobCount) - $before | Should -Be 2
        # The jobs: one per bucket, no approval, every task reported; the backup's manifest pinned to the versions compared.
        $jobs = @(Get-S3BackupBatchJob -AccountId $account | Where-Object Description -Match "^S3Replication CRC64NVME checksums of s3://($source|$backup),")
        $jobs.Count | Should -Be 2
        $jobs.Operation | Sort-Object -Unique | Should -Be 'S3ComputeObjectChecksum'
        $jobs.TotalTasks | Should -Be @(5, 5)
        $manifests = @(Get-S3BackupObject -Bucket $work -Prefix s3replication/verify/ | Where-Object Key -Like '*-manifest.csv')
        $backupRows = [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $work -Key ($manifests | Where-Object Key -Like '*/backup-manifest.csv').Key)) -split "`n" | Where-Object { $_ }
        $sourceRows = [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $work -Key ($manifests | Where-Object Key -Like '*/source-manifest.csv').Key)) -split "`n" | Where-Object { $_ }
        $versions = Get-S3BackupObject -Bucket $backup -AllVersions
        $backupRows | Should -Contain "$backup,same/b%20c%2B%C3%BC%2C%22q%22.csv,$(($versions | Where-Object Key -EQ 'same/b c+ü,"q".csv').VersionId)"
        $sourceRows | Should -Contain "$source,same/b%20c%2B%C3%BC%2C%22q%22.csv"
        $sourceRows.Count | Should -Be 5
        $sourceRows | Should -Not -Contain "$source,differs/size.txt" -Because 'a size that differs needs no checksum'
    }

    It 'computes SHA-256 on request, as S3 would give it' {
        $results = Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix differs/same @job -ChecksumAlgorithm SHA256
        $results.Reason | Should -Be 'ChecksumDiffers'
        $results.ComputedChecksumAlgorithm | Should -Be 'SHA256'
        $results.SourceChecksum | Should -Be (ConvertTo-Base64Sha256 $sourceBytes)
        $results.BackupChecksum | Should -Be (ConvertTo-Base64Sha256 $backupBytes)
        (Get-S3BackupBatchJob -AccountId $account | Where-Object Description -Match "^S3Replication SHA256 checksums of s3://$backup,").Count | Should -Be 1
    }

    It 'creates no job and writes nothing to the work bucket with -WhatIf, and says what it did not verify' {
        $before = Get-CreatedJobCount
        $objects = @(Get-S3BackupObject -Bucket $work).Count
        $results = Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup @job -WhatIf -InformationVariable said
        (Get-CreatedJobCount) - $before | Should -Be 0
        @(Get-S3BackupObject -Bucket $work).Count | Should -Be $objects
        ($results | Where-Object Reason -EQ SizeDiffers).Key | Should -Be 'differs/size.txt' -Because 'what the plan finds is written as it is found'
        $results | Where-Object State -In Equal, Unverified | Should -BeNullOrEmpty
        "$said" | Should -Match '; 5 key\(s\) of the same size in both not verified: no job was created\.$'
    }

    It 'verifies piped backup objects, and rows read back from a CSV file, the same way' {
        $piped = Get-S3BackupObject -Bucket $backup -Prefix differs/same | Compare-S3BackupBucket -SourceBucket $source @job -ChecksumAlgorithm SHA256
        ($piped.State, $piped.Reason, $piped.BackupChecksum) | Should -Be @('Different', 'ChecksumDiffers', (ConvertTo-Base64Sha256 $backupBytes))
        # A piped row's source object is read by a HEAD, which names its version: the source's job is pinned to it, as the backup's is.
        $manifest = Get-S3BackupObject -Bucket $work -Prefix s3replication/verify/ | Where-Object Key -Like '*/source-manifest.csv' | Sort-Object Key | Select-Object -Last 1
        $sourceVersion = (Get-S3BackupObject -Bucket $source -Prefix differs/same -AllVersions | Where-Object IsLatest).VersionId
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $work -Key $manifest.Key)) | Should -Be "$source,differs/same-size.bin,$sourceVersion`n"

        $csv = Join-Path $TestDrive 'backup.csv'
        Get-S3BackupObject -Bucket $backup -Prefix same/ | Export-Csv $csv
        $rows = Import-Csv $csv | Compare-S3BackupBucket -SourceBucket $source @job -ChecksumAlgorithm SHA256 -IncludeEqual
        $rows.Count | Should -Be 4
        $rows.Reason | Sort-Object -Unique | Should -Be 'SameChecksum'
        ($rows | Where-Object Key -EQ 'same/a.bin').BackupChecksum | Should -Be (ConvertTo-Base64Sha256 $same['same/a.bin'])
    }

    It 'makes a key whose task failed Unverified with its error code, never Equal, and says so once per side' {
        Write-TestObject -Bucket $source -Key 'fails/x.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('same bytes'))
        Write-TestObject -Bucket $backup -Key 'fails/x.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('same bytes'))
        $null = Invoke-RestMethod -Method Post "$($control.Endpoint)/_standin/fail" -Body (@{ keys = @('fails/x.bin') } | ConvertTo-Json) -ContentType 'application/json' -NoProxy
        $result = Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix fails/ @job -IncludeEqual -WarningVariable warned
        ($result.State, $result.Reason) | Should -Be @('Unverified', 'TaskFailed')
        $result.Error | Should -Be 'source: task failed: 503 SlowDown (Please reduce your request rate.); backup: task failed: 503 SlowDown (Please reduce your request rate.)'
        $failures = @($warned | Where-Object { "$_" -match 'checksum task' })
        $failures.Count | Should -Be 2
        "$($failures[1])" | Should -BeLike "1 checksum task(s) on s3://$backup failed (1 SlowDown; fails/x.bin): those keys are Unverified."
    }

    It 'never decides a key by another key''s checksum when the report spells a space as +' {
        # AWS documents no encoding for completion-report keys. Under form encoding 'a b.csv' is reported as 'a+b.csv', the
        # spelling percent-decoding reads as the key 'a+b.csv'. Here the backup's 'a+b.csv' has other bytes than the source's
        # (the same size) and its 'a b.csv' the same: taking 'a b.csv''s row for 'a+b.csv' would call it Equal.
        foreach ($bucket in $source, $backup) { Write-TestObject -Bucket $bucket -Key 'plus/a b.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('space: same bytes')) }
        Write-TestObject -Bucket $source -Key 'plus/a+b.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('plus: source bytes'))
        Write-TestObject -Bucket $backup -Key 'plus/a+b.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('plus: backup bytes'))
        Set-StandInReportEncoding -Plus $true
        try {
            $results = Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix plus/ @job -IncludeEqual -InformationVariable said
        }
        finally {
            Set-StandInReportEncoding -Plus $false
        }
        $byKey = @{}
        foreach ($result in $results) { $byKey[$result.Key] = $result }
        ($byKey['plus/a+b.csv'].State, $byKey['plus/a+b.csv'].Reason) | Should -Be @('Unverified', 'TaskFailed') -Because 'two rows read as it: neither is surely its own'
        $byKey['plus/a+b.csv'].Error | Should -Match "^source: 2 rows of the completion report of job \S+ read as this key \('plus/a\+b\.csv', 'plus/a%2Bb\.csv'\)"
        ($byKey['plus/a b.csv'].State, $byKey['plus/a b.csv'].Reason) | Should -Be @('Equal', 'SameChecksum') -Because 'only one row can be its own'
        # The stand-in really wrote form-encoded keys: read percent-decoded, both rows say 'a+b.csv'.
        "$said" -match 'jobs (\S+) and (\S+)\)' | Should -BeTrue
        (Get-S3BackupBatchJobReport -JobId $Matches[2] -AccountId $account).Key | Should -Be @('plus/a+b.csv', 'plus/a+b.csv')
    }

    It 'leaves no temporary manifest behind when a piped row is refused' {
        # The manifests are written to temporary files from the first row on; TMPDIR is where .NET makes them.
        $temp = New-Item -ItemType Directory (Join-Path $TestDrive 'tmp-refused')
        $before = Get-CreatedJobCount
        $rows = @(Get-S3BackupObject -Bucket $backup -Prefix same/) + [S3Replication.Records.S3ObjectRecord]@{ Bucket = $work; Key = 'same/a.bin'; Size = 1 }
        $saved = $env:TMPDIR
        $env:TMPDIR = $temp.FullName
        try {
            { $rows | Compare-S3BackupBucket -SourceBucket $source @job -ErrorAction Stop } | Should -Throw -ErrorId 'InputMismatch,*'
        }
        finally {
            $env:TMPDIR = $saved
        }
        Get-ChildItem $temp -Force | Should -BeNullOrEmpty
        (Get-CreatedJobCount) - $before | Should -Be 0
    }

    It 'leaves no temporary manifest behind when stopped while it plans' {
        $temp = New-Item -ItemType Directory (Join-Path $TestDrive 'tmp-stopped')
        $before = Get-CreatedJobCount
        # The rows come, then the command before it waits: the compare is stopped between two of its rows.
        $recording = New-RecordingShell "& { Get-S3BackupObject -Bucket $backup -Prefix same/; Start-Sleep -Seconds 60 } | Compare-S3BackupBucket -SourceBucket $source -CompareBy ComputedChecksum -WorkBucket $work -RoleArn '$($batchRole.Arn)' -AccountId $account -WarningAction SilentlyContinue"
        ($shell, $runspace) = ($recording.Shell, $recording.Runspace)
        $saved = $env:TMPDIR
        $env:TMPDIR = $temp.FullName
        try {
            $running = $shell.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            # Both manifests' files exist once the first row has started the run.
            while (@(Get-ChildItem $temp).Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            @(Get-ChildItem $temp).Count | Should -BeGreaterOrEqual 2
            Start-Sleep -Milliseconds 500
            $shell.Stop()
            $running.IsCompleted | Should -BeTrue
        }
        finally {
            $env:TMPDIR = $saved
            $shell.Dispose()
            $runspace.Dispose()
        }
        Get-ChildItem $temp -Force | Should -BeNullOrEmpty
        (Get-CreatedJobCount) - $before | Should -Be 0
    }

    It 'refuses a role that Batch Operations may not assume before anything is created' {
        $before = Get-CreatedJobCount
        { Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup @job -RoleArn $otherRole.Arn -ErrorAction Stop } | Should -Throw -ErrorId 'BatchRoleNotTrusted,*'
        (Get-CreatedJobCount) - $before | Should -Be 0
    }

    It 'offers its job parameters only with -CompareBy ComputedChecksum' {
        (Get-Command Compare-S3BackupBucket).Parameters.Keys | Should -Not -Contain 'WorkBucket'
        $computed = (Get-Command Compare-S3BackupBucket -ArgumentList '-CompareBy', 'ComputedChecksum').Parameters.Keys
        foreach ($name in 'WorkBucket', 'RoleArn', 'Priority', 'AccountId', 'ChecksumAlgorithm', 'Timeout') { $computed | Should -Contain $name }
        $computed | Should -Not -Contain 'NoConfirmation' -Because 'the compare''s confirmation is the gate: its jobs never wait for approval'
        { Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -WorkBucket $work -ErrorAction Stop } | Should -Throw -ErrorId 'NamedParameterNotFound,*'
    }

    It 'is refused by the restores, which change nothing' {
        $before = @(Get-S3BackupObject -Bucket $source -AllVersions).Count
        { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -CompareBy ComputedChecksum -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,*'
        $error[0].Exception.Message | Should -Match 'Compare-S3BackupBucket'
        { Start-S3BackupBatchRestore -BackupBucket $backup -SourceBucket $source -CompareBy ComputedChecksum -WorkBucket $work -RoleArn $batchRole.Arn -AccountId $account -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,*'
        @(Get-S3BackupObject -Bucket $source -AllVersions).Count | Should -Be $before
    }

    Context 'Waiting for the jobs' {
        # Each task takes 2 s more: the jobs are still running when the compare stops waiting.
        BeforeAll { Set-StandInDelay 2 }
        AfterAll {
            Set-StandInDelay 0
            Get-S3BackupBatchJob -AccountId $account -Status Active, Ready | Stop-S3BackupBatchJob -Confirm:$false | Out-Null
        }

        It 'stops at -Timeout naming the jobs, which run on' {
            $before = Get-CreatedJobCount
            { Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix same/ @job -Timeout 00:00:02 -ErrorAction Stop } | Should -Throw -ErrorId 'BatchJobMismatch,*'
            (Get-CreatedJobCount) - $before | Should -Be 2
            $message = $error[0].Exception.Message
            $targets = @($error[0].TargetObject)
            $running = @(Get-S3BackupBatchJob -AccountId $account -Status Active, Ready)
            $running.Count | Should -Be 2
            # The jobs run in the source bucket's account and region, which need not be the session's: the hints name both.
            foreach ($id in $running.JobId) { $message | Should -Match "Wait-S3BackupBatchJob -JobId $id -AccountId $account -Region $($targets[0].Region)" }
            $message | Should -Match "Get-S3BackupBatchJobReport -JobId <id> -AccountId $account -Region $($targets[0].Region)"
            ($targets.JobId | Sort-Object) | Should -Be ($running.JobId | Sort-Object) -Because 'the error carries every job''s record'
            # ... which can be waited for again as they are.
            { $targets | Wait-S3BackupBatchJob -Timeout 00:00:01 -ErrorAction Stop } | Should -Throw -ErrorId 'BatchJobMismatch,*'
            $running | Stop-S3BackupBatchJob -Confirm:$false | Out-Null
        }

        It 'stops waiting at Ctrl+C and says which jobs keep running' {
            $before = Get-CreatedJobCount
            $recording = New-RecordingShell "Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix same/ -CompareBy ComputedChecksum -WorkBucket $work -RoleArn '$($batchRole.Arn)' -AccountId $account -WarningAction SilentlyContinue"
            ($shell, $runspace, $console) = ($recording.Shell, $recording.Runspace, $recording.Console)
            try {
                $running = $shell.BeginInvoke()
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                while ((Get-CreatedJobCount) - $before -lt 2 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                (Get-CreatedJobCount) - $before | Should -Be 2
                Start-Sleep -Milliseconds 500
                $shell.Stop()
                $running.IsCompleted | Should -BeTrue
            }
            finally {
                $shell.Dispose()
                $runspace.Dispose()
            }
            $jobs = @(Get-S3BackupBatchJob -AccountId $account -Status Active, Ready)
            $jobs.Count | Should -Be 2 -Because 'a stop ends the waiting, never the jobs'
            $told = @($console.Warnings) -join "`n"
            foreach ($id in $jobs.JobId) { $told | Should -Match $id }
            $told | Should -Match 'Stop-S3BackupBatchJob -JobId <id> -AccountId 111122223333 -Region [a-z0-9-]+ cancels one'
        }
    }
}
