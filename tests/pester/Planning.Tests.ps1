# Planning at scale, end to end: listings read in parallel key ranges (against the listing stand-in's synthetic buckets,
# which speak S3's listing wire format, and against the local server), and plans read from S3 Inventory deliveries
# written in AWS's format on the local server.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
    $listing = Start-ListingStandIn -Bucket 'backup=20000', 'source=20000', 'flat-backup=20000,flat', 'flat-source=20000,flat',
        'old-backup=6000,versioned', 'old-source=6000,versioned' -Differences 400 -Folder (Join-Path $TestDrive 'listing')
    $local = Get-LocalProfileSetting
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n[standin]`naws_access_key_id = AKIDSTANDIN`naws_secret_access_key = standin`n" `
        -Config "[profile admin]`n$local`n[profile standin]`nendpoint_url = $($listing.Endpoint)`nregion = us-east-1`n"

    function Get-Expected([string] $Backup, [string] $Source) { Invoke-RestMethod "$($listing.Endpoint)/_standin/expected?backup=$Backup&source=$Source" -NoProxy }
    function Reset-Stats { $null = Invoke-RestMethod -Method Post "$($listing.Endpoint)/_standin/reset-stats" -NoProxy }
    function Get-Stats { Invoke-RestMethod "$($listing.Endpoint)/_standin/stats" -NoProxy }
    function Compare-Keys($Results, [string] $State) { @($Results | Where-Object State -EQ $State | ForEach-Object Key | Sort-Object -CaseSensitive) }

    # What a listing page after page gives (boto3's paginator): the reference for our parallel one.
    function Get-SequentialListing([string] $Endpoint, [string] $AccessKey, [string] $SecretKey, [string] $Bucket) {
        $script = @'
import boto3, json, sys
from botocore.config import Config
endpoint, access, secret, bucket = sys.argv[1:5]
s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id=access, aws_secret_access_key=secret, config=Config(s3={'addressing_style': 'path'}))
keys = [c['Key'] for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket) for c in page.get('Contents', [])]
sys.stdout.buffer.write(json.dumps(keys).encode('utf-8'))
'@
        $env:PYTHONIOENCODING = 'utf-8'
        (& python3 -c $script $Endpoint $AccessKey $SecretKey $Bucket) | ConvertFrom-Json
    }
}

AfterAll {
    $listing | Stop-StandIn
}

Describe 'Listing in parallel key ranges' {
    It 'compares two 20,000-key <Shape> buckets exactly as the stand-in built them, reading ranges at the same time' -ForEach @(
        @{ Shape = 'date-hierarchy'; Backup = 'backup'; Source = 'source' }
        @{ Shape = 'flat'; Backup = 'flat-backup'; Source = 'flat-source' }
    ) {
        Reset-Stats
        # A round trip as on S3 (shorter), so reads at the same time show as such.
        $null = Invoke-RestMethod -Method Post "$($listing.Endpoint)/_standin/latency" -Body '{"ms": 20}' -ContentType application/json -NoProxy
        try { $results = Compare-S3BackupBucket -ProfileName standin -SourceBucket $Source -BackupBucket $Backup }
        finally { $null = Invoke-RestMethod -Method Post "$($listing.Endpoint)/_standin/latency" -Body '{"ms": 0}' -ContentType application/json -NoProxy }
        $expected = Get-Expected $Backup $Source
        Compare-Keys $results MissingInBackup | Should -Be @($expected.MissingInBackup | Sort-Object -CaseSensitive)
        Compare-Keys $results MissingInSource | Should -Be @($expected.MissingInSource | Sort-Object -CaseSensitive)
        Compare-Keys $results Different | Should -Be @($expected.Different.Key | Sort-Object -CaseSensitive)
        $stats = Get-Stats
        $stats.MaxConcurrent | Should -BeGreaterThan 4 -Because 'a 20-page listing is cut into ranges read at once'
        $stats.Entries | Should -BeLessThan (1.5 * ($expected.Counts.BackupKeys + $expected.Counts.SourceKeys)) -Because 'each range is listed under its own prefix'
    }

    It 'lists the same objects in the same order as a page-after-page listing, keys with odd characters included' {
        $ours = @(Get-S3BackupObject -ProfileName standin -Bucket backup | ForEach-Object Key)
        $reference = Get-SequentialListing -Endpoint $listing.Endpoint -AccessKey x -SecretKey y -Bucket backup
        $ours.Count | Should -Be 20000
        $ours | Should -Be $reference
        $ours | Where-Object { $_ -match '[^\x20-\x7e]' } | Should -Not -BeNullOrEmpty -Because 'the stand-in has unicode keys, which sort differently in UTF-16'
    }

    It 'lists every version once, in S3''s order, and plans -AsOf from it exactly' {
        $ours = @(Get-S3BackupObject -ProfileName standin -Bucket old-backup -AllVersions)
        $script = @'
import boto3, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='y')
pages = s3.get_paginator('list_object_versions').paginate(Bucket='old-backup')
entries = [f"{e['Key']}@{e['VersionId']}" for page in pages for e in page.get('Versions', []) + page.get('DeleteMarkers', [])]
sys.stdout.buffer.write(json.dumps(sorted(entries)).encode('utf-8'))
'@
        $reference = (& python3 -c $script $listing.Endpoint) | ConvertFrom-Json
        $ours.Count | Should -Be $reference.Count
        [string[]]($ours | ForEach-Object { "$($_.Key)@$($_.VersionId)" } | Sort-Object -CaseSensitive) | Should -Be ([string[]]($reference | Sort-Object -CaseSensitive))
        # Keys in S3's order (UTF-8 bytes), each key's versions together and newest first.
        $utf8 = [Text.Encoding]::UTF8
        for ($index = 1; $index -lt $ours.Count; $index++) {
            $order = [Linq.Enumerable]::SequenceEqual([byte[]]$utf8.GetBytes($ours[$index - 1].Key), [byte[]]$utf8.GetBytes($ours[$index].Key))
            if (-not $order) {
                $a = $utf8.GetBytes($ours[$index - 1].Key); $b = $utf8.GetBytes($ours[$index].Key)
                $i = 0; while ($i -lt [Math]::Min($a.Length, $b.Length) -and $a[$i] -eq $b[$i]) { $i++ }
                ($i -eq $a.Length -or ($i -lt $b.Length -and $a[$i] -lt $b[$i])) | Should -BeTrue -Because "'$($ours[$index - 1].Key)' comes before '$($ours[$index].Key)'"
            }
            elseif ($ours[$index - 1].LastModified -and $ours[$index].LastModified) {
                $ours[$index - 1].LastModified | Should -BeGreaterOrEqual $ours[$index].LastModified
            }
        }
        $results = Compare-S3BackupBucket -ProfileName standin -SourceBucket old-source -BackupBucket old-backup -AsOf (Get-Date).AddSeconds(-1)
        $expected = Get-Expected old-backup old-source
        Compare-Keys $results MissingInSource | Should -Be @($expected.MissingInSource | Sort-Object -CaseSensitive)
        Compare-Keys $results MissingInBackup | Should -Be @($expected.MissingInBackup | Sort-Object -CaseSensitive)
        Compare-Keys $results Different | Should -Be @($expected.Different.Key | Sort-Object -CaseSensitive)
    }
}

Describe 'Listing a real bucket of more than two pages' {
    BeforeAll {
        $big = New-TestName 'planning-big'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $big
        # 2,400 keys (cut after the second page) in folders, with spaces, '+', '%', '//', unicode and a supplementary character.
        $write = @'
import boto3, sys
from concurrent.futures import ThreadPoolExecutor
from botocore.config import Config
endpoint, access, secret, bucket = sys.argv[1:5]
s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id=access, aws_secret_access_key=secret, config=Config(s3={'addressing_style': 'path'}, max_pool_connections=32))
names = [f'imap/mag/l1a/2025/{n // 100 % 12 + 1:02d}/{n % 28 + 1:02d}/f{n:05d}.cdf' for n in range(2300)]
names += [f'odd/{c}{n}' for n, c in enumerate(['a b', 'x+y', '100%', 'dbl//slash', 'ünï', '\U0001F600', '\uFFFD', 'Z', '~'] * 11)]
names += [f'data/obj-{n:07d}' for n in range(1)]
with ThreadPoolExecutor(32) as pool:
    list(pool.map(lambda name: s3.put_object(Bucket=bucket, Key=name, Body=b'x'), names))
print(len(names))
'@
        $written = [int](& python3 -c $write $Server.Endpoint $Server.AccessKey $Server.SecretKey $big)
    }

    It 'yields exactly what a page-after-page listing yields, in S3''s order' {
        $ours = @(Get-S3BackupObject -ProfileName admin -Bucket $big | ForEach-Object Key)
        $reference = Get-SequentialListing -Endpoint $Server.Endpoint -AccessKey $Server.AccessKey -SecretKey $Server.SecretKey -Bucket $big
        $reference.Count | Should -Be $written
        $ours | Should -Be $reference
    }

    It 'with a prefix, yields exactly that prefix''s keys' {
        $ours = @(Get-S3BackupObject -ProfileName admin -Bucket $big -Prefix 'imap/mag/l1a/2025/0' | ForEach-Object Key)
        $reference = Get-SequentialListing -Endpoint $Server.Endpoint -AccessKey $Server.AccessKey -SecretKey $Server.SecretKey -Bucket $big |
            Where-Object { $_.StartsWith('imap/mag/l1a/2025/0', [StringComparison]::Ordinal) }
        $ours | Should -Be $reference
    }
}

Describe 'Planning from S3 Inventory' {
    BeforeAll {
        $backup = New-TestName 'inv-backup'
        $source = New-TestName 'inv-source'
        $inventory = New-TestName 'inv-reports'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $inventory
        $keys = @(1..40 | ForEach-Object { "imap/mag/l1a/2025/01/f$('{0:D3}' -f $_).cdf" }) + 'odd/a b+c%.bin', 'odd/ünï.bin', 'odd//dbl.bin'
        foreach ($key in $keys) { Write-TestObject -Bucket $backup -Key $key -Bytes ([Text.Encoding]::UTF8.GetBytes("backup $key")) }
        # The source: most keys as backed up, some missing, one changed in size, one only in the source.
        foreach ($key in $keys | Select-Object -Skip 5) { Write-TestObject -Bucket $source -Key $key -Bytes ([Text.Encoding]::UTF8.GetBytes("backup $key")) }
        Write-TestObject -Bucket $source -Key $keys[10] -Bytes ([Text.Encoding]::UTF8.GetBytes('changed, and longer'))
        Write-TestObject -Bucket $source -Key 'only/in-source.bin' -Bytes ([byte[]](1, 2, 3))

        function New-Inventory([string] $Bucket, [double] $HoursAgo = 0, [string[]] $Omit = @(), [switch] $Versions) {
            $arguments = @('--endpoint', $Server.Endpoint, '--access-key', $Server.AccessKey, '--secret-key', $Server.SecretKey, '--bucket', $Bucket,
                '--destination', $inventory, '--created-hours-ago', $HoursAgo, '--config-id', (New-TestName 'cfg'))
            if ($Versions) { $arguments += '--versions' }
            foreach ($key in $Omit) { $arguments += '--omit', $key }
            & python3 (Join-Path $PSScriptRoot '../standins/inventory_fixture.py') @arguments
            if ($LASTEXITCODE) { throw 'inventory_fixture.py failed' }
        }
        function Format-Result($Results) { @($Results | ForEach-Object { "$($_.Key)|$($_.State)|$($_.Reason)" }) }
        $listed = Format-Result (Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -IncludeEqual)
        $inventoryTaken = Get-Date
        $backupInventory = New-Inventory $backup -Versions
        $sourceInventory = New-Inventory $source
    }

    It 'compares from both inventories exactly as from the listings, without listing either bucket' {
        $results = Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -BackupInventory $backupInventory -SourceInventory $sourceInventory -IncludeEqual -Verbose 4>&1
        $verbose = @($results | Where-Object { $_ -is [Management.Automation.VerboseRecord] })
        Format-Result ($results | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }) | Should -Be $listed
        "$verbose" | Should -Match "s3://$backup is planned from its S3 Inventory of .* minutes ago"
    }

    It 'finds the newest complete delivery in the folder the deliveries go to' {
        $folder = $backupInventory -replace '/[^/]+/manifest\.json$', '/'
        Format-Result (Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -BackupInventory $folder -IncludeEqual) | Should -Be $listed
    }

    It 'plans -AsOf from an inventory of all versions' {
        $moment = $inventoryTaken
        $fromListing = Format-Result (Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -AsOf $moment -IncludeEqual)
        Format-Result (Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -AsOf $moment -BackupInventory $backupInventory -IncludeEqual) |
            Should -Be $fromListing
        { Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -AsOf $moment -BackupInventory (New-Inventory $backup) -ErrorAction Stop } |
            Should -Throw -ErrorId 'InventoryUnsupported,*'
    }

    It 'warns when the inventory is more than two days old' {
        $old = New-Inventory $backup -HoursAgo 72
        $null = Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -BackupInventory $old -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -Match 'planned from its S3 Inventory of .*3 days ago'
    }

    It 'refuses the inventory of another bucket, and restores nothing' {
        $before = @(Get-S3BackupObject -ProfileName admin -Bucket $source -AllVersions).Count
        { Sync-S3BackupToSource -ProfileName admin -SourceBucket $source -BackupBucket $backup -BackupInventory $sourceInventory -ErrorAction Stop } |
            Should -Throw -ErrorId 'InventoryMismatch,*'
        @(Get-S3BackupObject -ProfileName admin -Bucket $source -AllVersions).Count | Should -Be $before
    }

    It 'refuses -Mirror from a backup inventory and an -AsOf after the inventory was taken, changing nothing' {
        $before = @(Get-S3BackupObject -ProfileName admin -Bucket $source -AllVersions).Count
        { Sync-S3BackupToSource -ProfileName admin -SourceBucket $source -BackupBucket $backup -BackupInventory $backupInventory -Mirror -ErrorAction Stop } |
            Should -Throw -ErrorId 'InventoryUnsupported,*'
        $error[0].Exception.Message | Should -Match 'lacks what was backed up after it was taken'
        { Compare-S3BackupBucket -ProfileName admin -SourceBucket $source -BackupBucket $backup -BackupInventory $backupInventory -AsOf (Get-Date).AddSeconds(-1) -ErrorAction Stop } |
            Should -Throw -ErrorId 'InventoryUnsupported,*'
        @(Get-S3BackupObject -ProfileName admin -Bucket $source -AllVersions).Count | Should -Be $before
    }

    It 'a restore from a backup inventory copies what the backup holds now, not what the inventory said' {
        Write-TestObject -Bucket $backup -Key 'moved-on.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('first'))
        $taken = New-Inventory $backup -Versions
        Write-TestObject -Bucket $backup -Key 'moved-on.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('second, replicated later'))
        $result = Sync-S3BackupToSource -ProfileName admin -SourceBucket $source -BackupBucket $backup -Include 'moved-on.bin' -BackupInventory $taken
        $result.Action | Should -Be 'Copied'
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $source -Key 'moved-on.bin')) | Should -Be 'second, replicated later'
    }

    It 'a restore reads the source again where the source side is an inventory: what was written since is seen' {
        # Taken before the source got 'late.bin' (the same content as the backup's) and before 'stale.bin' changed.
        Write-TestObject -Bucket $backup -Key 'late.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('late'))
        Write-TestObject -Bucket $backup -Key 'stale.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('backed up'))
        Write-TestObject -Bucket $source -Key 'stale.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('backed up'))
        $stale = New-Inventory $source -Omit 'late.bin'
        Write-TestObject -Bucket $source -Key 'late.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('late'))
        Write-TestObject -Bucket $source -Key 'stale.bin' -Bytes ([Text.Encoding]::UTF8.GetBytes('overwritten'))

        $results = Sync-S3BackupToSource -ProfileName admin -SourceBucket $source -BackupBucket $backup -Prefix '' -Include 'late.bin', 'stale.bin' -SourceInventory $stale -IncludeSkipped
        ($results | Where-Object Key -EQ 'late.bin').Action | Should -Be 'Skipped' -Because 'the source holds it now, the same as the backup, though the inventory lacks it'
        ($results | Where-Object Key -EQ 'stale.bin').Action | Should -Be 'Copied' -Because 'the source changed after the inventory said it was the same'
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $source -Key 'stale.bin')) | Should -Be 'backed up'
        @(Get-S3BackupObject -ProfileName admin -Bucket $source -Prefix 'late.bin' -AllVersions).Count | Should -Be 1 -Because 'nothing was written over it'
    }
}

Describe 'A restore by bucket names knows its total from the start' {
    It 'the progress bar says how many of how many, the share done and the time left, before the copies are through' {
        $backup = New-TestName 'total-backup'
        $source = New-TestName 'total-source'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source
        1..100 | ForEach-Object { 'day/{0:D4}.cdf' -f $_ } | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $backup -Content 'science data'
        # One copy at a time keeps the run going for a few seconds, past the first progress updates (one a second).
        $console = New-RecordingShell "Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -MaxConcurrency 1 -Summary"
        try {
            $summary = $console.Shell.Invoke()
            $summary.Transferred | Should -Be 100
            $during = @($console.Shell.Streams.Progress | Where-Object RecordType -NE Completed)
            $during | Should -Not -BeNullOrEmpty
            $last = $during[-1]
            $last.StatusDescription | Should -Match '^[\d,]+ of 100 objects: '
            $last.PercentComplete | Should -BeGreaterThan 0
            $last.SecondsRemaining | Should -BeGreaterOrEqual 0
        }
        finally { $console.Shell.Dispose(); $console.Runspace.Dispose() }
    }
}
