BeforeDiscovery {
    # Run inside each test, where the buckets, role, $future and $record of the Describe's BeforeAll exist.
    $badInputs = @(
        @{ Case = 'an empty bucket name'; Command = { Get-S3BackupObject -Bucket '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a whitespace bucket name'; Command = { Get-S3BackupObject -Bucket '   ' }; ErrorId = 'InvalidBucketName'; Category = 'InvalidArgument' }
        @{ Case = 'an upper-case bucket name'; Command = { Compare-S3BackupBucket -SourceBucket 'SDS-Data' -BackupBucket $backup }; ErrorId = 'InvalidBucketName'; Category = 'InvalidArgument' }
        @{ Case = 'an oversized bucket name'; Command = { Sync-S3BackupToSource -BackupBucket ('b' * 64) -SourceBucket $source }; ErrorId = 'InvalidBucketName'; Category = 'InvalidArgument' }
        @{ Case = 'a bucket name shaped like an IP address'; Command = { Test-S3BackupAccess -Bucket '192.168.1.10' }; ErrorId = 'InvalidBucketName'; Category = 'InvalidArgument' }
        @{ Case = 'an oversized prefix key for upload'; Command = { Write-S3BackupObject -Path (Join-Path $upload 'x.txt') -Bucket $source -Prefix ('p' * 1100) }; ErrorId = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = '-AsOf in the future (listing)'; Command = { Get-S3BackupObject -Bucket $backup -AsOf $future }; ErrorId = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = '-AsOf in the future (restore)'; Command = { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -AsOf $future }; ErrorId = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = 'a negative concurrency'; Command = { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -MaxConcurrency -1 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'zero concurrency for downloads'; Command = { Save-S3BackupObject -Bucket $backup -Destination $TestDrive -MaxConcurrency 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a string piped as a backup object'; Command = { 'imap/mag/a.cdf' | Sync-S3BackupToSource -SourceBucket $source }; ErrorId = 'ParameterArgumentTransformationError'; Category = 'InvalidData' }
        @{ Case = 'a hashtable without a bucket piped as a backup object'; Command = { @{ Key = 'x' } | Save-S3BackupObject -Destination $TestDrive }; ErrorId = 'InvalidBucketName'; Category = 'InvalidArgument' }
        @{ Case = 'a key with a control character'; Command = { & $record "imap/bell`a.cdf" | Save-S3BackupObject -Destination (Join-Path $TestDrive 'unsafe') }; ErrorId = 'UnsafeKey'; Category = 'InvalidData' }
        @{ Case = 'a key climbing out of the folder'; Command = { & $record '../../etc/cron.d/x' | Save-S3BackupObject -Destination (Join-Path $TestDrive 'unsafe') }; ErrorId = 'UnsafeKey'; Category = 'InvalidData' }
        @{ Case = 'a path that does not exist'; Command = { Write-S3BackupObject -Path (Join-Path $TestDrive 'missing') -Bucket $source }; ErrorId = 'PathNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a malformed destination account'; Command = { New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId '12345' -RoleArn $role.Arn -RuleId other }; ErrorId = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = 'a malformed role ARN (rule)'; Command = { New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId 123456789012 -RoleArn 'arn:aws:iam:role/x' -RuleId other }; ErrorId = 'InvalidRoleArn'; Category = 'InvalidArgument' }
        @{ Case = 'a duplicate rule id'; Command = { New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId 123456789012 -RoleArn $role.Arn }; ErrorId = 'RuleExists'; Category = 'ResourceExists' }
        @{ Case = 'an unknown rule id'; Command = { Remove-S3BackupReplicationRule -Bucket $source -RuleId nope -Confirm:$false }; ErrorId = 'RuleNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a malformed role ARN (profile)'; Command = { Set-BackupRoleProfile -Name restore -RoleArn 'arn:aws:iam::12:role/x' -SourceProfile imap }; ErrorId = 'InvalidRoleArn'; Category = 'InvalidArgument' }
        @{ Case = 'a profile name with spaces'; Command = { Set-BackupRoleProfile -Name 'backup role' -RoleArn $role.Arn -SourceProfile imap }; ErrorId = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = 'a source profile that does not exist'; Command = { Set-BackupRoleProfile -Name restore -RoleArn $role.Arn -SourceProfile nowhere }; ErrorId = 'SourceProfileMissing'; Category = 'ObjectNotFound' }
        @{ Case = 'an unknown profile'; Command = { Get-S3BackupObject -Bucket $backup -ProfileName nope }; ErrorId = 'ProfileNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a cyclic profile'; Command = { Connect-S3Backup -ProfileName cycle-a }; ErrorId = 'ProfileCycle'; Category = 'InvalidData' }
        @{ Case = 'a role profile whose source is missing'; Command = { Connect-S3Backup -ProfileName orphan }; ErrorId = 'SourceProfileMissing'; Category = 'ObjectNotFound' }
        @{ Case = 'a region that is not one'; Command = { Get-S3BackupObject -Bucket $backup -Region 'Europe West' }; ErrorId = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = 'a bare user name as principal'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn 'hartnett' }; ErrorId = 'InvalidPrincipal'; Category = 'InvalidArgument' }
        @{ Case = 'everyone as principal'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn '*' }; ErrorId = 'BroadPrincipalRefused'; Category = 'SecurityError' }
        @{ Case = 'removing the service principal'; Command = { Remove-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn 's3.amazonaws.com' -Confirm:$false }; ErrorId = 'ServicePrincipalRefused'; Category = 'SecurityError' }
        @{ Case = 'a role that does not exist'; Command = { Get-BackupRoleTrustPolicy -RoleName 'NoSuchRole' }; ErrorId = 'RoleNotFound'; Category = 'ObjectNotFound' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Add-Type -Path $env:S3R_FAULT_PROXY
    $seed = 20261126
    # Every fault kind at 10% of all requests (listings, heads and copies alike), seeded so a failure reproduces.
    $faulty = [S3Replication.FaultProxy.FaultProxy]::Start($Server.Endpoint, 0.10, $seed, $null, 100)
    # Every request delayed: a restore slow enough to interrupt part-way.
    $slow = [S3Replication.FaultProxy.FaultProxy]::Start($Server.Endpoint, 1.0, $seed, @([S3Replication.FaultProxy.Fault]::Latency), 150)

    $local = Get-LocalProfileSetting
    $checksums = "request_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
    $keys = "aws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n"
    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'ops')
    $role = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupRole') -TrustedPrincipal $operator.Arn -TrustedService 's3.amazonaws.com'
    $profileFiles = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials "[admin]`n$keys[faulty]`n$keys[slow]`n$keys[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n" `
        -Config ("[profile admin]`n$local`n[profile faulty]`nendpoint_url = $($faulty.Endpoint)`n$checksums`n[profile slow]`nendpoint_url = $($slow.Endpoint)`n$checksums" +
            "[profile imap]`n$local`n[profile backup-role]`nrole_arn = $($role.Arn)`nsource_profile = imap`n$local`n" +
            "[profile cycle-a]`nrole_arn = $($role.Arn)`nsource_profile = cycle-b`n[profile cycle-b]`nrole_arn = $($role.Arn)`nsource_profile = cycle-a`n" +
            "[profile orphan]`nrole_arn = $($role.Arn)`nsource_profile = nowhere`n")
    Connect-S3Backup -ProfileName admin

    function Get-FolderHash([string] $Folder) {
        $hashes = @{}
        if (-not (Test-Path $Folder)) { return $hashes }
        foreach ($file in Get-ChildItem $Folder -Recurse -File) { $hashes[$file.FullName.Substring($Folder.Length + 1)] = (Get-FileHash -LiteralPath $file.FullName).Hash }
        $hashes
    }
    function Get-PendingUpload([string] $Bucket) {
        $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
        try { @($client.ListMultipartUploadsAsync($Bucket).GetAwaiter().GetResult().MultipartUploads) } finally { $client.Dispose() }
    }
    $report = [ordered]@{}
    $tally = @{ BadInputs = 0 }
}

AfterAll {
    $faulty.Dispose(); $slow.Dispose()
    Disconnect-S3Backup
    if ($env:S3R_RELIABILITY_REPORT -and $report.Count) {
        $lines = @('# Reliability suite: the figures of the last run', '',
            "Generated by tests/pester/Reliability.Tests.ps1 on $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC against the local Ceph RGW (seed $seed).", '')
        foreach ($section in $report.GetEnumerator()) {
            $lines += "## $($section.Key)", ''
            $lines += $section.Value | ForEach-Object { "- $_" }
            $lines += ''
        }
        Set-Content -Path $env:S3R_RELIABILITY_REPORT -Value $lines
    }
}

Describe 'A restore through injected faults' {
    BeforeAll {
        $backup = New-TestName 'sds-data-dev-backup'
        $source = New-TestName 'sds-data-dev'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        # 2,000 distinct objects; 200 of them overwritten, so a copy of the wrong version would show.
        $originals = Join-Path $TestDrive 'originals'
        $older = Join-Path $TestDrive 'older'
        foreach ($index in 1..2000) {
            $name = 'imap/{0}/l1a/2025/01/{1:D5}.cdf' -f ('mag', 'swe', 'hit', 'codice')[$index % 4], $index
            Write-RandomFile (Join-Path $originals $name) 1024
            if ($index % 10 -eq 0) { Write-RandomFile (Join-Path $older $name) 1024 }
        }
        $null = Write-S3BackupObject -Path $older -Bucket $backup -MaxConcurrency 32
        $null = Write-S3BackupObject -Path $originals -Bucket $backup -MaxConcurrency 32
        # A few with everything a restore must keep.
        foreach ($index in 1..20) {
            Write-TestObject -Bucket $backup -Key "meta/$index.cdf" -Bytes (Get-RandomBytes 2048) -ContentType 'application/x-cdf' `
                -Metadata @{ instrument = 'mag'; index = "$index" } -Tags @{ level = 'l1a' } -CacheControl 'max-age=300'
        }
        $total = 2020
        $before = @{ Requests = $faulty.Requests; Injected = $faulty.InjectedTotal }
        $results = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -ProfileName faulty -Verbose `
            -ErrorVariable failures -ErrorAction SilentlyContinue -InformationVariable told 4>&1
        $verbose = $results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $results = $results | Where-Object { $_ -is [S3Replication.Records.SyncResult] }
        $injected = $faulty.InjectedTotal - $before.Injected
        $requests = $faulty.Requests - $before.Requests
    }

    It 'injected every kind of fault into about a tenth of the requests' {
        $injected | Should -BeGreaterThan ($requests * 0.06)
        foreach ($kind in $faulty.Injected.GetEnumerator()) { $kind.Value | Should -BeGreaterThan 0 -Because "$($kind.Key) faults were injected" }
    }

    It 'copied every object, failed none, and its summary says so' {
        $failures | Should -BeNullOrEmpty
        @($results | Where-Object Action -EQ 'Copied').Count | Should -Be $total
        @($results | Where-Object Action -NE 'Copied').Count | Should -Be 0
        "$($told | Where-Object Tags -Contains 'S3Replication.Summary')" | Should -BeLike "Restore to s3://$source`: $('{0:N0}' -f $total) copied *, 0 skipped, 0 failed in *"
    }

    It 'restored every object byte for byte, each from its latest version' {
        $null = Save-S3BackupObject -Bucket $source -Destination (Join-Path $TestDrive 'restored') -MaxConcurrency 32
        $restored = Get-FolderHash (Join-Path $TestDrive 'restored')
        $expected = Get-FolderHash $originals
        $restored.Count | Should -Be $total
        $wrong = @($expected.Keys | Where-Object { $restored[$_] -ne $expected[$_] })
        $wrong | Should -BeNullOrEmpty
        $script:verified = $restored.Count
    }

    It 'kept content type, metadata, cache-control and tags' {
        foreach ($index in 1..20) {
            $copy = Get-TestObject -Bucket $source -Key "meta/$index.cdf"
            $copy | ConvertTo-Json | Should -Be (Get-TestObject -Bucket $backup -Key "meta/$index.cdf" | ConvertTo-Json) -Because "meta/$index.cdf"
            $copy.Metadata | Should -Be "x-amz-meta-index=$index;x-amz-meta-instrument=mag"
            $copy.Tags | Should -Be 'level=l1a'
        }
    }

    It 'copies nothing when run again through the same faults' {
        $again = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -ProfileName faulty -IncludeSkipped
        @($again | Where-Object Action -EQ 'Skipped').Count | Should -Be $total
        $report['Restore through injected faults'] = @(
            "$total objects (1 KiB to 2 KiB; 200 with an older version, 20 with metadata and tags) restored through a proxy failing 10% of requests",
            ("$requests requests through the proxy, $injected of them failed on purpose and were retried (by kind, over the whole suite: " + (($faulty.Injected.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ') + ')'),
            "$(@($results | Where-Object Action -EQ 'Copied').Count) copied, $(@($failures).Count) failed; $script:verified objects downloaded again and compared by SHA-256 with the files they were made from: all identical, none from an older version",
            'A second run through the same faults copied nothing.')
    }
}

Describe 'An interrupted restore' {
    BeforeAll {
        $backup = New-TestName 'sds-data-dev-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
        $folder = Join-Path $TestDrive 'interrupted'
        foreach ($index in 1..200) { Write-RandomFile (Join-Path $folder ('small/{0:D3}.cdf' -f $index)) 1024 }
        foreach ($index in 1..4) { Write-RandomFile (Join-Path $folder "large-$index.bin") 12MB }
        $null = Write-S3BackupObject -Path $folder -Bucket $backup -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 16
        $expected = Get-FolderHash $folder
        $moduleManifest = Join-Path $ModulePath 'S3Replication.psd1'

        function Assert-NothingPartial([string] $Source) {
            $copy = Join-Path $TestDrive "check-$Source"
            $null = Save-S3BackupObject -Bucket $Source -Destination $copy -MaxConcurrency 32
            $present = Get-FolderHash $copy
            foreach ($key in $present.Keys) { $present[$key] | Should -Be $expected[$key] -Because "$key is complete or absent" }
            Remove-Item $copy -Recurse -Force -ErrorAction Ignore
            $present.Count
        }
    }

    It 'stops on Stop() (Ctrl+C), leaves nothing partial or pending, and the re-run copies only the rest' {
        $source = New-TestName 'sds-data-dev'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        $shell = [powershell]::Create()
        $null = $shell.AddScript("Import-Module '$moduleManifest'; Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -ProfileName slow -MaxConcurrency 4 -MultipartThreshold 5MB -PartSize 5MB")
        $running = $shell.BeginInvoke()
        Start-Sleep -Seconds 3
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $shell.Stop()
        $stopSeconds = $watch.Elapsed.TotalSeconds
        $running.IsCompleted | Should -BeTrue
        $shell.Dispose()
        $stopSeconds | Should -BeLessThan 5
        # Copies the proxy had already forwarded still complete on the server; let them land before counting.
        Start-Sleep -Seconds 2

        $done = Assert-NothingPartial $source
        $done | Should -BeLessThan $expected.Count -Because 'the restore was stopped part-way'
        Get-PendingUpload $source | Should -BeNullOrEmpty

        $rest = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -ProfileName admin -MultipartThreshold 5MB -PartSize 5MB
        @($rest | Where-Object Action -EQ 'Copied').Count | Should -Be ($expected.Count - $done)
        Assert-NothingPartial $source | Should -Be $expected.Count
        $report['Interrupted restores'] = @("Stopped (Ctrl+C) after 3 s: stopped in $([Math]::Round($stopSeconds, 2)) s with $done of $($expected.Count) objects copied, none partial, no pending multipart upload; the re-run copied exactly the other $($expected.Count - $done).")
    }

    It 'after the process is killed mid-copy, the next run removes its pending uploads and completes' {
        $source = New-TestName 'sds-data-dev'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        $script = "Import-Module '$moduleManifest'; Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -ProfileName slow -Include 'large-*' -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 4"
        $child = Start-Process -FilePath dotnet -ArgumentList @('pwsh', '-NoProfile', '-NonInteractive', '-Command', $script) -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'killed.out')
        $deadline = (Get-Date).AddSeconds(30)
        while (-not (Get-PendingUpload $source) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $pending = @(Get-PendingUpload $source).Count
        Get-Process -Id $child.Id -ErrorAction Ignore | ForEach-Object { $_.Kill($true) }
        $child.WaitForExit()
        Start-Sleep -Seconds 2
        $pending | Should -BeGreaterThan 0 -Because 'the process was killed while copying parts'

        Assert-NothingPartial $source | Should -BeLessThan 4
        $rest = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -ProfileName admin -MultipartThreshold 5MB -PartSize 5MB
        Get-PendingUpload $source | Should -BeNullOrEmpty
        Assert-NothingPartial $source | Should -Be $expected.Count
        $report['Interrupted restores'] += "Killed (kill -9) while $pending multipart copies were pending: no partial object under a final key; the next run aborted the abandoned uploads and completed all $($expected.Count) objects ($(@($rest | Where-Object Action -EQ 'Copied').Count) copied then)."
    }
}

Describe 'Bad input: a specific error, and nothing changed' {
    BeforeAll {
        $source = New-TestName 'sds-data-dev'
        $backup = New-TestName 'sds-data-dev-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
        'imap/mag/a.cdf', 'imap/mag/b.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $backup
        'imap/mag/a.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $source
        $null = New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId 123456789012 -RoleArn $role.Arn
        $upload = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'upload')
        Set-Content (Join-Path $upload 'x.txt') 'x'

        # Everything a bad call could have changed: both buckets' objects, the rules, the trust policy, the config file.
        function Get-State {
            @(
                (Get-S3BackupObject -Bucket $source -AllVersions | ForEach-Object { "$($_.Key)@$($_.VersionId)" }) -join ','
                (Get-S3BackupObject -Bucket $backup -AllVersions | ForEach-Object { "$($_.Key)@$($_.VersionId)" }) -join ','
                (Get-S3BackupReplicationRule -Bucket $source | ForEach-Object { "$($_.RuleId)/$($_.Status)/$($_.Priority)/$($_.StorageClass)" }) -join ','
                (Get-BackupRoleTrustPolicy -RoleName $role.Name).Document
                (Get-FileHash $profileFiles.Config).Hash
            ) -join "`n"
        }
        $future = (Get-Date).AddDays(1)
        $record = { param($key) [S3Replication.Records.S3ObjectRecord]@{ Bucket = $backup; Key = $key; Size = 1; ETag = '00000000000000000000000000000000' } }
    }

    It 'refuses <Case>' -ForEach $badInputs {
        $before = Get-State
        $failure = $null
        try { & $Command -ErrorAction Stop | Out-Null } catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty -Because 'bad input must fail'
        $failure.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        "$($failure.CategoryInfo.Category)" | Should -Be $Category
        if ($ErrorId -eq 'ParameterArgumentTransformationError') {
            $failure.Exception.Message | Should -Match 'neither a backup object nor a restore record'
        }
        if ($ErrorId -notin 'ParameterArgumentValidationError', 'ParameterArgumentTransformationError') {
            $failure.TargetObject | Should -Not -BeNullOrEmpty -Because 'the error names what was wrong'
            $failure.Exception.Message.Length | Should -BeGreaterThan 30
        }
        Get-State | Should -Be $before
        $tally.BadInputs++
    }

    It 'refuses a malformed config file, naming the line, and leaves it as it was' {
        $original = [IO.File]::ReadAllText($profileFiles.Config)
        try {
            [IO.File]::WriteAllText($profileFiles.Config, $original + "`nthis line is not ini`n")
            { Set-BackupRoleProfile -Name restore -RoleArn $role.Arn -SourceProfile imap -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigFileMalformed,*'
            [IO.File]::ReadAllText($profileFiles.Config) | Should -Be ($original + "`nthis line is not ini`n")
        }
        finally { [IO.File]::WriteAllText($profileFiles.Config, $original) }
        $report['Bad input'] = @("$($tally.BadInputs + 1) bad inputs across 16 cmdlets (names, ARNs, accounts, profiles, keys, paths, times, concurrency, piped types, a malformed config file): each refused with its own error id, category and target, and the buckets, rules, trust policy and config file read back unchanged.")
    }
}

Describe 'Secrets never leak' {
    It 'no key, secret or session token in any stream, error, exported record or written file' {
        $written = Join-Path $TestDrive 'leak-check'
        $null = New-Item -ItemType Directory -Force $written
        $bucket = New-TestName 'sds-data-dev'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket -Versioned
        'imap/mag/a.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $bucket
        $null = Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn -ProfileName admin

        $captured = [System.Collections.Generic.List[object]]::new()
        $common = @{ Verbose = $true; Debug = $true; ErrorAction = 'Continue' }
        $DebugPreference = 'Continue'
        $calls = @(
            { Connect-S3Backup -ProfileName backup-role -Bucket $bucket -PassThru @common }
            { Get-S3BackupSession @common }
            { Get-AwsConfigProfile @common }
            { Test-S3BackupAccess -Bucket $bucket -Probe List, Read, Write, Versioning, Replication @common }
            { Get-S3BackupObject -Bucket $bucket -AllVersions @common }
            { Compare-S3BackupBucket -SourceBucket $bucket -BackupBucket $bucket -IncludeEqual @common }
            { Save-S3BackupObject -Bucket $bucket -Destination $written @common }
            { Write-S3BackupObject -Path $written -Bucket $bucket -Prefix copy/ @common }
            { Get-S3BackupReplicationRule -Bucket $bucket @common }
            { Get-S3ReplicationStatus -Bucket $bucket -Summary @common }
            { Get-BackupRoleTrustPolicy -RoleName $role.Name -ProfileName admin @common }
            { Set-BackupRoleProfile -Name leak-check -RoleArn $role.Arn -SourceProfile imap -PassThru @common }
            { Connect-S3Backup -ProfileName imap -Bucket $bucket @common }
            { Get-S3BackupObject -Bucket 'no-such-bucket-for-leaks' @common }
            { Sync-S3BackupToSource -BackupBucket $bucket -SourceBucket 'no-such-bucket-for-leaks' @common }
        )
        foreach ($call in $calls) {
            try { $output = & $call *>&1 } catch { $output = @($_) }
            foreach ($item in $output) { $captured.Add($item) }
        }
        $session = Connect-S3Backup -ProfileName backup-role -PassThru
        # The record holds no live session; the runspace's session store has it (Connect-S3Backup made it the default).
        $store = $session.GetType().Assembly.GetType('S3Replication.Session.SessionStore').GetMethod('ForCurrentRunspace').Invoke($null, @())
        $live = $store.Default
        $roleCredentials = $live.Credentials.GetCredentials()
        $secrets = @($Server.SecretKey, $operator.SecretKey, $roleCredentials.SecretKey, $roleCredentials.Token) | Where-Object { $_ }
        $secrets.Count | Should -Be 4 -Because 'the check needs the role session''s own secret and token'

        $texts = [System.Collections.Generic.List[string]]::new()
        foreach ($item in $captured) {
            $texts.Add(($item | Out-String -Width 4096))
            $texts.Add(($item | Format-List * -Force | Out-String -Width 4096))
            if ($item -is [System.Management.Automation.ErrorRecord]) {
                $texts.Add($item.Exception.ToString()); $texts.Add("$($item.TargetObject)"); $texts.Add($item.ScriptStackTrace)
            }
        }
        $clixml = Join-Path $TestDrive 'outputs.clixml'
        $captured | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | Export-Clixml -Path $clixml -Depth 5
        $session | Export-Clixml -Path (Join-Path $TestDrive 'session.clixml') -Depth 5
        $files = @($clixml, (Join-Path $TestDrive 'session.clixml'), $profileFiles.Config) + @(Get-ChildItem $written -Recurse -File -Force).FullName
        foreach ($file in $files) { $texts.Add([IO.File]::ReadAllText($file)) }
        $texts.Add(($session | ConvertTo-Json -Depth 5))

        foreach ($secret in $secrets) {
            $leaks = @($texts | Where-Object { $_.Contains($secret) })
            $leaks.Count | Should -Be 0 -Because 'a secret appeared in captured output'
        }
        $captured.Count | Should -BeGreaterThan 30
        $report['Secrets'] = @("$($calls.Count) cmdlet calls with -Verbose -Debug (including denied and failing ones), all six streams captured: $($captured.Count) records, rendered as tables, full lists and exception texts; Export-Clixml and ConvertTo-Json of the outputs and the session; the config file the module wrote and $(@(Get-ChildItem $written -Recurse -File -Force).Count) downloaded files. Searched for $($secrets.Count) secrets (two static secret keys, the assumed role's secret key and session token): none found.")
    }
}

Describe 'Concurrent read-modify-write' {
    It 'keeps every rule and every principal when writers race on one bucket and one role' {
        $source = New-TestName 'sds-race'
        $backup = New-TestName 'sds-race-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
        $manifest = Join-Path $ModulePath 'S3Replication.psd1'
        $roleName = $role.Name
        $people = 1..4 | ForEach-Object { New-LocalS3User -Server $Server -Name (New-TestName "racer$_") }
        $writers = @(1..6 | ForEach-Object { @{ Rule = "writer-$_"; Priority = 100 + $_ } }) + @($people | ForEach-Object { @{ Principal = $_.Arn } })
        $failures = $writers | ForEach-Object -ThrottleLimit 10 -Parallel {
            Import-Module $using:manifest
            $writer = $_
            try {
                if ($writer.Rule) {
                    $null = New-S3BackupReplicationRule -ProfileName admin -SourceBucket $using:source -DestinationBucket $using:backup `
                        -DestinationAccountId 123456789012 -RoleArn $using:role.Arn -RuleId $writer.Rule -Priority $writer.Priority -ErrorAction Stop
                }
                else { $null = Add-BackupRoleTrustPrincipal -ProfileName admin -RoleName $using:roleName -PrincipalArn $writer.Principal -ErrorAction Stop }
            }
            catch { "$($writer.Rule)$($writer.Principal): $_" }
        }
        $failures | Should -BeNullOrEmpty
        (Get-S3BackupReplicationRule -Bucket $source -ProfileName admin).RuleId | Sort-Object | Should -Be (1..6 | ForEach-Object { "writer-$_" })
        $trusted = (Get-BackupRoleTrustPolicy -RoleName $roleName -ProfileName admin).Principals.Principal
        foreach ($person in $people) { $trusted | Should -Contain $person.Arn }
        $trusted | Should -Contain 's3.amazonaws.com'
        $report['Concurrent read-modify-write'] = @("6 runspaces adding replication rules to one bucket and 4 adding trust principals to one role, all at once: every rule and every principal present afterwards, the S3 service principal kept (each write re-reads, writes, and verifies twice; see about_S3Replication for what is guaranteed).")
    }
}
