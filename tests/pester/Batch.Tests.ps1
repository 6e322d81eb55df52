# Start-S3BackupBatchRestore and the job cmdlets, end to end: a loopback S3 Control stand-in that runs each job's
# manifest against the local server with CopyObject and writes the completion report in the real format.
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
