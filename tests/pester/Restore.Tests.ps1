BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $local = Get-LocalProfileSetting
    $keys = "aws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n"
    # Two profiles with the same keys: two separate sessions, which makes the restore stream GET -> PUT.
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') -Credentials "[admin]`n$keys[other-account]`n$keys" `
        -Config "[profile admin]`n$local`n[profile other-account]`n$local"
    $backup = New-TestName 'sds-data-dev-backup'
    $source = New-TestName 'sds-data-dev'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    Connect-S3Backup -ProfileName admin

    $files = 1..30 | ForEach-Object { "imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_202501$('{0:D2}' -f $_)_v001.cdf" }
    $files += 'imap/swe/l0/2025/01/a b+c%.pkts', 'imap/hit/l1/ünïcødé.cdf', 'imap//double//slash.cdf', 'empty.bin'
    foreach ($file in $files) {
        $bytes = if ($file -eq 'empty.bin') { [byte[]]@() } else { Get-RandomBytes 1024 }
        Write-TestObject -Bucket $backup -Key $file -Bytes $bytes -ContentType 'application/x-cdf' -Metadata @{ instrument = 'mag' } -Tags @{ level = 'l1a' } -CacheControl 'max-age=300'
    }
}

AfterAll { Disconnect-S3Backup }

Describe 'Listing the backup' {
    It 'streams every object with its size and ETag' {
        $objects = Get-S3BackupObject -Bucket $backup
        $objects.Count | Should -Be $files.Count
        ($objects | Where-Object Key -EQ 'empty.bin').Size | Should -Be 0
        $objects[0].ETag | Should -Not -BeNullOrEmpty
    }

    It 'shows version listings in the version view, and still pipes them as objects' {
        $versions = @(Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ -AllVersions)
        $versions[0].PSObject.TypeNames[0] | Should -Be 'S3Replication.Records.S3ObjectRecord#Version'
        $versions[0] | Out-String -Width 120 | Should -Match 'VersionId\s+State\s+Key'
        $versions[0] | Should -BeOfType S3Replication.Records.S3ObjectRecord
        (Get-S3BackupObject -Bucket $backup -Prefix imap/mag/)[0].PSObject.TypeNames[0] | Should -Be 'S3Replication.Records.S3ObjectRecord'
    }

    It 'filters by prefix, include and exclude (exclude wins)' {
        (Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ -Include '*_2025010?_v001.cdf' -Exclude '*01_v001.cdf').Count | Should -Be 8
    }
}

Describe 'Restoring' {
    It 'changes nothing with -WhatIf and lists what it would copy' {
        $plan = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -WhatIf
        $plan.Count | Should -Be $files.Count
        $plan.Action | Sort-Object -Unique | Should -Be 'WouldCopy'
        Get-S3BackupObject -Bucket $source | Should -BeNullOrEmpty
        # In the order S3 lists keys (UTF-8 byte order), not in the order parallel workers finish.
        $listed = @(Get-S3BackupObject -Bucket $backup).Key
        $plan.Key -join "`n" | Should -BeExactly ($listed -join "`n")
        $piped = Get-S3BackupObject -Bucket $backup | Sync-S3BackupToSource -SourceBucket $source -WhatIf
        $piped.Key -join "`n" | Should -BeExactly ($listed -join "`n")
    }

    It 'restores everything, byte for byte, with content type, metadata, cache-control and tags' {
        $results = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source
        ($results | Where-Object Action -EQ Copied).Count | Should -Be $files.Count
        foreach ($file in $files) {
            $restored = Get-TestObject $source $file
            $original = Get-TestObject $backup $file
            $restored | ConvertTo-Json | Should -Be ($original | ConvertTo-Json) -Because $file
        }
        (Get-TestObject $source $files[0]).Tags | Should -Be 'level=l1a'
        (Get-TestObject $source $files[0]).ContentType | Should -Be 'application/x-cdf'
    }

    It 'copies nothing on a second run' {
        Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source | Should -BeNullOrEmpty
        (Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -IncludeSkipped).Action | Sort-Object -Unique | Should -Be 'Skipped'
    }

    It 'ends every run with a summary line shown without -Verbose, and with -Summary writes only a summary record' {
        $null = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -InformationAction Continue -InformationVariable told
        $line = $told | Where-Object { $_.Tags -contains 'S3Replication.Summary' }
        @($line).Count | Should -Be 1
        $line.Tags | Should -Contain 'PSHOST' -Because 'the host shows it like Write-Host output'
        # Common.ps1 asks for -InformationAction SilentlyContinue: recorded, not shown.
        $null = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -InformationVariable quiet
        $quiet.Tags | Should -Not -Contain 'PSHOST'
        $quiet.Tags | Should -Contain 'S3Replication.Summary'
        "$($line.MessageData)" | Should -Match "^Restore to s3://$source`: 0 copied, $($files.Count) skipped, 0 failed in "

        $summary = @(Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Summary -InformationAction Ignore)
        $summary.Count | Should -Be 1
        $summary[0] | Should -BeOfType S3Replication.Records.TransferSummary
        ($summary[0].Total, $summary[0].Skipped, $summary[0].Transferred, $summary[0].Failed) | Should -Be @($files.Count, $files.Count, 0, 0)
        $summary[0].Target | Should -Be "s3://$source"
    }

    It 'restores a same-size change that a size-and-time sync would skip' {
        Write-TestObject -Bucket $source -Key $files[3] -Bytes (Get-RandomBytes 1024)
        (Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup).State | Should -Be 'Different'
        Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -CompareBy Size | Should -BeNullOrEmpty
        $result = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source
        $result.Key | Should -Be $files[3]
        $result.Reason | Should -Be 'ETagDiffers'
        (Get-TestObject $source $files[3]).Hash | Should -Be (Get-TestObject $backup $files[3]).Hash
    }

    It 'restores exactly the objects piped in' {
        Remove-TestObject $source $files[5]; Remove-TestObject $source $files[6]; Remove-TestObject $source 'imap/hit/l1/ünïcødé.cdf'
        $results = Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ | Where-Object Key -In $files[5], $files[7] | Sync-S3BackupToSource -SourceBucket $source
        $results.Key | Should -Be $files[5]
        $results.Reason | Should -Be 'MissingInSource'
        (Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup).Key | Sort-Object | Should -Be @($files[6], 'imap/hit/l1/ünïcødé.cdf' | Sort-Object)
        $null = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source
    }

    It 'streams GET -> PUT between two sessions, byte for byte' {
        $other = New-TestName 'other-source'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $other -Versioned
        $backupSession = Connect-S3Backup -ProfileName admin -PassThru
        $sourceSession = Connect-S3Backup -ProfileName other-account -PassThru
        $results = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $other -BackupSession $backupSession -SourceSession $sourceSession -Prefix imap/ -Verbose 4>&1
        ($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'streamed through this process'
        ($results | Where-Object { $_ -is [S3Replication.Records.SyncResult] }).Count | Should -Be ($files.Count - 1)
        foreach ($file in $files | Where-Object { $_ -like 'imap/*' }) {
            (Get-TestObject $other $file | ConvertTo-Json) | Should -Be (Get-TestObject $backup $file | ConvertTo-Json) -Because $file
        }
        Connect-S3Backup -ProfileName admin
    }
}

Describe 'Large objects' {
    BeforeAll {
        $bigKey = 'imap/mag/l1a/large.cdf'
        Write-TestObject -Bucket $backup -Key $bigKey -Bytes (Get-RandomBytes (12MB + 123)) -ContentType 'application/x-cdf' -Metadata @{ instrument = 'mag' } -Tags @{ size = 'big' }
    }

    It 'copies in parts above a lowered threshold, byte for byte, with metadata and tags' {
        $result = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix $bigKey -MultipartThreshold 5MB -PartSize 5MB
        $result.Action | Should -Be 'Copied'
        $result.Bytes | Should -Be (12MB + 123)
        (Get-TestObject $source $bigKey | ConvertTo-Json) | Should -Be (Get-TestObject $backup $bigKey | ConvertTo-Json)
    }

    It 'streams an empty object between two sessions (an empty body, not a refused checksum)' {
        $other = New-TestName 'stream-empty'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $other -Versioned
        $a = Connect-S3Backup -ProfileName admin -PassThru
        $b = Connect-S3Backup -ProfileName other-account -PassThru
        $result = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $other -Prefix empty.bin -BackupSession $a -SourceSession $b -ErrorAction Stop
        $result.Action | Should -Be 'Copied'
        (Get-TestObject $other 'empty.bin' | ConvertTo-Json) | Should -Be (Get-TestObject $backup 'empty.bin' | ConvertTo-Json)
        Connect-S3Backup -ProfileName admin
    }

    It 'streams large objects part by part between two sessions' {
        $other = New-TestName 'stream-big'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $other -Versioned
        $a = Connect-S3Backup -ProfileName admin -PassThru
        $b = Connect-S3Backup -ProfileName other-account -PassThru
        $result = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $other -Prefix $bigKey -BackupSession $a -SourceSession $b -MultipartThreshold 5MB -PartSize 5MB
        $result.Action | Should -Be 'Copied'
        (Get-TestObject $other $bigKey | ConvertTo-Json) | Should -Be (Get-TestObject $backup $bigKey | ConvertTo-Json)
        Connect-S3Backup -ProfileName admin
    }
}

Describe 'Streaming many large objects between two sessions' {
    BeforeAll {
        $streamed = 1..6 | ForEach-Object { "imap/mag/l1b/stream-$_.cdf" }
        foreach ($key in $streamed) {
            Write-TestObject -Bucket $backup -Key $key -Bytes (Get-RandomBytes (40MB + 7)) -ContentType 'application/x-cdf' -Metadata @{ instrument = 'mag' } -Tags @{ size = 'big' }
        }
        $warmKey = 'imap/mag/warm-up/w.cdf'
        Write-TestObject -Bucket $backup -Key $warmKey -Bytes (Get-RandomBytes 6MB)
    }

    It 'copies them byte for byte in parallel parts, holding no more than -MaxBufferSize in memory' {
        $other = New-TestName 'stream-many'
        $scratch = New-TestName 'stream-warm'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $other
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $scratch
        # A fresh process, so its peak resident memory belongs to this restore alone: warmed up by a small streamed
        # restore, the peak is reset (/proc/self/clear_refs), then the restore of 6 x 40 MiB in 8 MiB parts runs with
        # a 64 MiB buffer limit. Unbounded, 8 parts of each of the 6 objects in flight would hold 384 MiB.
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Join-Path $ModulePath 'S3Replication.psd1')'
`$a = Connect-S3Backup -ProfileName admin -PassThru
`$b = Connect-S3Backup -ProfileName other-account -PassThru
`$null = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $scratch -Prefix $warmKey -BackupSession `$a -SourceSession `$b -MultipartThreshold 5MB -StreamPartSize 5MB
[GC]::Collect(); [GC]::WaitForPendingFinalizers()
function Get-Kib([string] `$Field) { [long]((Get-Content /proc/self/status | Where-Object { `$_ -like "`${Field}:*" }) -replace '\D', '') }
`$before = Get-Kib VmRSS
[IO.File]::WriteAllText('/proc/self/clear_refs', '5')
`$results = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $other -Prefix imap/mag/l1b/ -BackupSession `$a -SourceSession `$b -MultipartThreshold 5MB -StreamPartSize 8MB -MaxBufferSize 64MB -Verbose 4>&1
`$peak = Get-Kib VmHWM
[pscustomobject]@{
    Copied = @(`$results | Where-Object { `$_ -is [S3Replication.Records.SyncResult] -and `$_.Action -eq 'Copied' }).Count
    GrowthMiB = [Math]::Round((`$peak - `$before) / 1024, 1)
    Verbose = (`$results | Where-Object { `$_ -is [System.Management.Automation.VerboseRecord] }).Message -join "``n"
} | ConvertTo-Json | Set-Content '$(Join-Path $TestDrive 'stream-run.json')'
"@
        # A small first-generation heap budget (4 MiB, in hex): otherwise the runtime lets up to tens of MiB of garbage
        # pile up before it collects (its default follows the processor's cache size), and the peak measures that too.
        $env:DOTNET_GCgen0size = '0x400000'
        try { $output = dotnet pwsh -NoProfile -NonInteractive -Command $script }
        finally { Remove-Item env:DOTNET_GCgen0size }
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $run = Get-Content (Join-Path $TestDrive 'stream-run.json') -Raw | ConvertFrom-Json
        $run.Copied | Should -Be 6
        Write-Host "    streamed 6 x 40 MiB: peak resident memory grew by $($run.GrowthMiB) MiB (buffer limit 64 MiB)"
        $run.Verbose | Should -Match 'held at most \d+(\.\d)? MiB at once \(limit 64 MiB\)'
        [double]($run.Verbose -replace '(?s).*held at most ([\d.]+) MiB.*', '$1') | Should -BeLessOrEqual 64
        # The buffers stay within the limit (above); the rest of the process (thread stacks, the SDK's per-request objects)
        # adds a little, whatever the limit and the objects' sizes. Unbounded, the same restore would hold 384 MiB in parts alone.
        $run.GrowthMiB | Should -BeLessThan (64 + 48) -Because "the restore's resident memory grew by $($run.GrowthMiB) MiB"
        foreach ($key in $streamed) {
            (Get-TestObject $other $key | ConvertTo-Json) | Should -Be (Get-TestObject $backup $key | ConvertTo-Json) -Because $key
        }
    }
}

Describe 'Bucket names that would restore the wrong way' {
    It 'names a missing bucket as not found' {
        { Sync-S3BackupToSource -BackupBucket (New-TestName 'no-such-bucket') -SourceBucket $source } | Should -Throw -ErrorId 'BucketNotFound,*'
    }

    It 'refuses the same bucket as backup and source, and a piped object already in the source bucket' {
        { Sync-S3BackupToSource -BackupBucket $source -SourceBucket $source } | Should -Throw -ErrorId 'SameBucket,*'
        { Compare-S3BackupBucket -BackupBucket $backup -SourceBucket $backup } | Should -Throw -ErrorId 'SameBucket,*'
        $inSource = [S3Replication.Records.S3ObjectRecord]@{ Bucket = $source; Key = $files[0] }
        { $inSource | Sync-S3BackupToSource -SourceBucket $source } | Should -Throw -ErrorId 'SameBucket,*'
    }

    It 'refuses swapped names when the replication rule shows the other direction, unless -Force' {
        $real = New-TestName 'sds-data-swap'
        $realBackup = "$real-backup"
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $real -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $realBackup -Versioned
        Write-TestObject -Bucket $real -Key 'imap/a.cdf' -Bytes (Get-RandomBytes 100)
        $null = New-S3BackupReplicationRule -SourceBucket $real -DestinationBucket $realBackup -DestinationAccountId 123456789012 -RoleArn 'arn:aws:iam:::role/BackupRole'

        { Sync-S3BackupToSource $real $realBackup } | Should -Throw -ErrorId 'BucketsReversed,*'
        Get-S3BackupObject -Bucket $realBackup | Should -BeNullOrEmpty -Because 'nothing was written into the backup'

        (Sync-S3BackupToSource $real $realBackup -Force -WhatIf).Action | Should -Be 'WouldCopy'
        $verbose = Sync-S3BackupToSource $realBackup $real -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message -join "`n" | Should -Match 'replicates to .*: the restore goes the right way'
    }
}

Describe 'Moments and filters that would select nothing' {
    It 'refuses a day and month that can be read either way, and says which instant it used' {
        { Sync-S3BackupToSource $backup $source -AsOf '02/12/2026 00:04:15' -WhatIf } | Should -Throw '*can be read as 2026-12-02 or as 2026-02-12*ISO 8601*'
        $moment = (Get-Date).ToUniversalTime().AddSeconds(-5).ToString('yyyy-MM-ddTHH:mm:ssZ')
        $verbose = Sync-S3BackupToSource $backup $source -AsOf $moment -Prefix imap/hit/ -WhatIf -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message -join "`n" | Should -Match ([regex]::Escape("as of $($moment.TrimEnd('Z'))Z (local "))
    }

    It 'warns when nothing existed at the moment, and when a prefix starts with /' {
        $null = Get-S3BackupObject -Bucket $backup -AsOf '2000-01-01T00:00:00Z' -WarningVariable early -WarningAction SilentlyContinue
        $early | Should -Match 'Nothing existed under .* as of 2000-01-01T00:00:00Z'
        $null = Sync-S3BackupToSource $backup $source -Prefix /imap/swe/ -WhatIf -WarningVariable slash -WarningAction SilentlyContinue
        $slash | Should -Match "no leading '/'. Try -Prefix 'imap/swe/'"
    }

    It 'warns when patterns match none of the keys, saying how they match' {
        $none = Sync-S3BackupToSource $backup $source -Prefix imap/mag/ -Include '*.CDF' -WhatIf -WarningVariable cased -WarningAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $cased | Should -Match "None of the \d+ object\(s\) under s3://.*/imap/mag/ matched -Include '\*.CDF'.*case-sensitive"
        $null = Compare-S3BackupBucket -BackupBucket $backup -SourceBucket $source -Include 'imap_mag_l1a*' -WarningVariable whole -WarningAction SilentlyContinue
        $whole | Should -Match 'match the whole key'
        $whole | Should -Match 'With -MatchFileName they would match \d+\.'
    }

    It 'matches the file name with -MatchFileName and ignores case with -IgnoreCase' {
        $byName = @(Get-S3BackupObject -Bucket $backup -Include 'imap_mag_l1a_norm-mago_2025010?_v001.cdf' -MatchFileName)
        $byName.Count | Should -Be 9
        $byCase = @(Sync-S3BackupToSource $backup $source -Prefix imap/mag/ -Include '*_2025010?_V001.CDF' -IgnoreCase -IncludeSkipped -WhatIf)
        $byCase.Count | Should -Be 9
        @(Get-S3BackupObject -Bucket $backup -Include '*.CDF' -MatchFileName -WarningAction SilentlyContinue).Count | Should -Be 0
    }
}

Describe 'Point-in-time restore' {
    It 'brings back an overwritten and a deleted object as they were' {
        $pit = New-TestName 'pit'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $pit -Versioned
        $first = Get-RandomBytes 64; $gone = Get-RandomBytes 64
        Write-TestObject -Bucket $backup -Key 'pit/overwritten.cdf' -Bytes $first
        Write-TestObject -Bucket $backup -Key 'pit/deleted.cdf' -Bytes $gone
        Start-Sleep -Milliseconds 1200
        $moment = [DateTime]::UtcNow
        Start-Sleep -Milliseconds 1200
        Write-TestObject -Bucket $backup -Key 'pit/overwritten.cdf' -Bytes (Get-RandomBytes 64)
        Remove-TestObject $backup 'pit/deleted.cdf'

        (Get-S3BackupObject -Bucket $backup -Prefix pit/).Key | Should -Be 'pit/overwritten.cdf'
        (Get-S3BackupObject -Bucket $backup -Prefix pit/ -AsOf $moment).Key | Should -Be @('pit/deleted.cdf', 'pit/overwritten.cdf')
        (Get-S3BackupObject -Bucket $backup -Prefix pit/ -AllVersions | Where-Object IsDeleteMarker).Key | Should -Be 'pit/deleted.cdf'

        $results = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $pit -Prefix pit/ -AsOf $moment
        $results.Key | Sort-Object | Should -Be @('pit/deleted.cdf', 'pit/overwritten.cdf')
        $results | ForEach-Object { $_.BackupVersionId | Should -Not -BeNullOrEmpty -Because 'a point-in-time restore reads a version'; $_.SourceVersionId | Should -Not -BeNullOrEmpty -Because 'the versioned source made one' }
        $results.AsOf | Select-Object -Unique | Should -Be $moment.ToUniversalTime()
        (Get-TestObject $pit 'pit/overwritten.cdf').Hash | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($first)))
        (Get-TestObject $pit 'pit/deleted.cdf').Hash | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($gone)))
    }

    It 'refuses a moment in the future' {
        { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -AsOf (Get-Date).AddDays(1) -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,*'
    }
}

Describe 'Stopping a restore' {
    It 'stops promptly when the pipeline is stopped, leaves only whole objects, and a re-run copies the rest' {
        $from = New-TestName 'stop-from'; $to = New-TestName 'stop-to'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $from
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $to
        $payload = 'p' * 512
        1..1500 | ForEach-Object { 'many/{0:D5}.cdf' -f $_ } | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $from -Content $payload

        # Ctrl+C stops the pipeline the same way PowerShell.Stop() does; the host records what a console would show.
        $recording = New-RecordingShell "Sync-S3BackupToSource -BackupBucket $from -SourceBucket $to -MaxConcurrency 4"
        ($shell, $runspace, $console) = ($recording.Shell, $recording.Runspace, $recording.Console)
        $running = $shell.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while (@(Get-S3BackupObject -Bucket $to).Count -lt 20 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $shell.Stop()
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $running.IsCompleted | Should -BeTrue
        $shell.Dispose()
        $runspace.Dispose()

        $copied = @(Get-S3BackupObject -Bucket $to)
        $copied.Count | Should -BeGreaterThan 0
        $copied.Count | Should -BeLessThan 1500
        # What was done before the stop is told once, as a warning line, although the cmdlet's streams are closed by then.
        @($console.Warnings).Count | Should -Be 1
        $told = @($console.Warnings)[0]
        # Pester's Should -Match does not fill $Matches: match with the operator, then check the number.
        $told -match "^Restore to s3://$to \(stopped early\): (?<copied>[\d,]+) copied .* Running the same command again copies the rest" | Should -BeTrue
        [int]($Matches.copied -replace ',') | Should -Be $copied.Count -Because 'what it says it did is what it did: copies in flight finish (or are said to be cut short) before it returns'
        $told | Should -Not -Match 'may or may not have landed' -Because 'small copies finish within the grace'
        # Every object that is there is whole: CopyObject is atomic.
        ($copied | Where-Object Size -NE 512) | Should -BeNullOrEmpty

        $rest = Sync-S3BackupToSource -BackupBucket $from -SourceBucket $to
        @($rest).Count | Should -Be (1500 - $copied.Count)
        (Compare-S3BackupBucket -SourceBucket $to -BackupBucket $from) | Should -BeNullOrEmpty
    }
}

Describe 'Comparing' {
    It 'tells what is not backed up and what differs' {
        $cmp = New-TestName 'cmp'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $cmp -Versioned
        Write-TestObject -Bucket $cmp -Key 'only-in-source.cdf' -Bytes (Get-RandomBytes 10)
        Write-TestObject -Bucket $cmp -Key $files[0] -Bytes (Get-RandomBytes 1024)
        $states = Compare-S3BackupBucket -SourceBucket $cmp -BackupBucket $backup -Prefix '' -IncludeEqual | Group-Object State -AsHashTable
        $states['MissingInBackup'].Key | Should -Be 'only-in-source.cdf'
        $states['Different'].Key | Should -Be $files[0]
        $states.ContainsKey('MissingInSource') | Should -BeTrue
        $states.ContainsKey('Equal') | Should -BeFalse
    }

    It 'restores the MissingInSource and Different results piped into Sync-S3BackupToSource, and leaves the rest' {
        $cmp = New-TestName 'cmp-pipe'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $cmp -Versioned
        Write-TestObject -Bucket $cmp -Key 'only-in-source.cdf' -Bytes (Get-RandomBytes 10)
        Write-TestObject -Bucket $cmp -Key $files[0] -Bytes (Get-RandomBytes 1024)
        Write-TestObject -Bucket $cmp -Key $files[1] -Bytes ([byte[]](Get-TestObjectBytes $backup $files[1]))

        $results = Compare-S3BackupBucket -SourceBucket $cmp -BackupBucket $backup -Prefix imap/mag/l1a/2025/ -IncludeEqual | Sync-S3BackupToSource

        ($results | Where-Object Key -EQ $files[0]).Reason | Should -Be 'ETagDiffers'
        @($results | Where-Object Action -EQ Copied).Count | Should -Be 29 -Because '28 missing and 1 different, of 30 mag files'
        $results.Key | Should -Not -Contain $files[1]
        (Get-TestObject $cmp $files[0] | ConvertTo-Json) | Should -Be (Get-TestObject $backup $files[0] | ConvertTo-Json)
        (Get-TestObject $cmp 'only-in-source.cdf').Size | Should -Be 10 -Because 'a restore removes nothing'
    }
}

Describe 'A compare that finds no difference' {
    It 'writes no record and one closing line that says so' {
        $same = New-TestName 'same-source'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $same -Versioned
        $null = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $same -Prefix imap/mag/
        $records = Compare-S3BackupBucket -SourceBucket $same -BackupBucket $backup -Prefix imap/mag/ -InformationVariable told
        $records | Should -BeNullOrEmpty
        "$($told | Where-Object { $_.Tags -contains 'S3Replication.Summary' })" | Should -Be "Compared s3://$same with s3://$backup/imap/mag/: $(@(Get-S3BackupObject -Bucket $backup -Prefix imap/mag/).Count) Equal."
    }
}

Describe 'A prefix that selects nothing in a bucket that has keys (<Entrance>)' -ForEach @(
    @{ Entrance = 'Get-S3BackupObject' }, @{ Entrance = 'Sync-S3BackupToSource' }, @{ Entrance = 'Compare-S3BackupBucket' }, @{ Entrance = 'Save-S3BackupObject' }
) {
    It 'warns, naming what the nearest folder above it holds, and changes nothing' {
        $before = @(Get-S3BackupObject -Bucket $source).Count
        $typo = 'imap/mag/l1a/2025/3/'
        $shown = switch ($Entrance) {
            'Get-S3BackupObject' { Get-S3BackupObject -Bucket $backup -Prefix $typo 3>&1 }
            'Sync-S3BackupToSource' { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix $typo 3>&1 }
            'Compare-S3BackupBucket' { Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix $typo 3>&1 }
            'Save-S3BackupObject' { Save-S3BackupObject -Bucket $backup -Prefix $typo -Destination (Join-Path $TestDrive 'typo') 3>&1 }
        }
        $warnings = @($shown | Where-Object { $_ -is [Management.Automation.WarningRecord] })
        @($shown | Where-Object { $_ -isnot [Management.Automation.WarningRecord] }) | Should -BeNullOrEmpty
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Be "No key of s3://$backup starts with '$typo'. Under 'imap/mag/l1a/2025/' there are: 01/."
        @(Get-S3BackupObject -Bucket $source).Count | Should -Be $before
    }

    It 'says nothing more for a prefix of an empty bucket' {
        $empty = New-TestName 'empty'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $empty
        $shown = switch ($Entrance) {
            'Get-S3BackupObject' { Get-S3BackupObject -Bucket $empty -Prefix imap/ 3>&1 }
            'Sync-S3BackupToSource' { Sync-S3BackupToSource -BackupBucket $empty -SourceBucket $source -Prefix imap/ 3>&1 }
            'Compare-S3BackupBucket' { Compare-S3BackupBucket -SourceBucket $source -BackupBucket $empty -Prefix nothing/ 3>&1 }
            'Save-S3BackupObject' { Save-S3BackupObject -Bucket $empty -Prefix imap/ -Destination (Join-Path $TestDrive 'empty') 3>&1 }
        }
        $shown | Should -BeNullOrEmpty
    }
}
