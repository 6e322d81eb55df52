# Sync-S3BackupToSource -AsOf T -Mirror: an incident rolled back on the local server, and every refusal changing nothing.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Set-AdminProfileFile
    $PSDefaultParameterValues['*-S3Backup*:ProfileName'] = 'admin'
    $PSDefaultParameterValues['Sync-S3BackupToSource:ProfileName'] = 'admin'

    function Set-Text([string] $Bucket, [string] $Key, [string] $Text) { Write-TestObject -Bucket $Bucket -Key $Key -Bytes ([Text.Encoding]::UTF8.GetBytes($Text)) }
    function Get-Text([string] $Bucket, [string] $Key) { [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $Bucket -Key $Key)) }

    # Every version and delete marker of a bucket: "nothing changed" means this is the same before and after.
    function Get-VersionState([string] $Bucket) {
        $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
        try {
            $response = $client.ListVersionsAsync($Bucket).GetAwaiter().GetResult()
            ($response.Versions | ForEach-Object { "$($_.Key)@$($_.VersionId)$(if ($_.IsDeleteMarker) { '(marker)' })" } | Sort-Object) -join ';'
        }
        finally { $client.Dispose() }
    }

    function Remove-Version([string] $Bucket, [string] $Key, [string] $VersionId) {
        $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
        try { $null = $client.DeleteObjectAsync($Bucket, $Key, $VersionId).GetAwaiter().GetResult() } finally { $client.Dispose() }
    }

    $backup = New-TestName 'rollback-backup'
    $source = New-TestName 'rollback-source'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    $beforeAnything = [DateTime]::UtcNow.AddSeconds(-5)

    # The state at T: replication has copied every write into the backup.
    foreach ($bucket in $backup, $source) {
        Set-Text $bucket 'data/a.csv' 'a at T'
        Set-Text $bucket 'data/b.csv' 'b at T'
        Set-Text $bucket 'data/c.csv' 'c at T'
        Set-Text $bucket 'other/keep.csv' 'outside the prefix'
    }
    Start-Sleep -Seconds 2
    $T = [DateTime]::UtcNow
    Start-Sleep -Seconds 2
    # The incident: a bad run overwrites a, writes new files and deletes c; replication carries it all to the backup.
    foreach ($bucket in $backup, $source) {
        Set-Text $bucket 'data/a.csv' 'a overwritten by the bad run'
        Set-Text $bucket 'data/new-1.csv' 'new 1'
        Set-Text $bucket 'data/new-2.csv' 'new 2'
        Remove-TestObject -Bucket $bucket -Key 'data/c.csv'
        Set-Text $bucket 'other/new-outside.csv' 'outside the prefix, after T'
        # Junk under a prefix the backup never had before T.
        foreach ($n in 1..3) { Set-Text $bucket "junk/$n.tmp" "junk $n" }
    }
}

Describe 'Refusals change nothing' {
    It 'refuses more removals than -MaxDelete before copying anything' {
        $before = Get-VersionState $source
        { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -AsOf $T -Mirror -MaxDelete 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'MirrorTooManyRemovals,*'
        $error[0].Exception.Message | Should -Match 'would remove 2 object\(s\).*more than -MaxDelete 1'
        Get-VersionState $source | Should -Be $before
    }

    It 'refuses when the backup side selects nothing while the source has objects' {
        $before = Get-VersionState $source
        { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -AsOf $beforeAnything -Mirror -ErrorAction Stop -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'MirrorBackupEmpty,*'
        Get-VersionState $source | Should -Be $before
    }

    It 'refuses a source without versioning unless -Force' {
        $unversioned = New-TestName 'rollback-unversioned'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $unversioned
        Set-Text $unversioned 'data/only-here.csv' 'x'
        { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $unversioned -Prefix data/ -Mirror -ErrorAction Stop } |
            Should -Throw -ErrorId 'MirrorUnversionedSource,*'
        (Get-S3BackupObject -Bucket $unversioned).Key | Should -Be 'data/only-here.csv'
    }

    It 'refuses an empty backup side on a source without versioning even with -Force (<Entrance>): those removals could not be undone' -ForEach @(
        @{ Entrance = 'bucket names' }, @{ Entrance = 'piped compare results' }
    ) {
        $unversioned = New-TestName 'junk-unversioned'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $unversioned
        foreach ($n in 1..2) { Set-Text $unversioned "junk/$n.tmp" "junk $n" }
        $refusal = {
            if ($Entrance -eq 'bucket names') {
                Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $unversioned -Prefix junk/ -AsOf $T -Mirror -Force -ErrorAction Stop -WarningAction SilentlyContinue
            }
            else {
                Compare-S3BackupBucket -SourceBucket $unversioned -BackupBucket $backup -Prefix junk/ -AsOf $T |
                    Sync-S3BackupToSource -Mirror -Force -ErrorAction Stop -WarningAction SilentlyContinue
            }
        }
        $refusal | Should -Throw -ErrorId 'MirrorBackupEmpty,*'
        $error[0].Exception.Message | Should -Match '-Force does not allow it here: .* is not versioned'
        (Get-S3BackupObject -Bucket $unversioned).Key | Should -Be @('junk/1.tmp', 'junk/2.tmp')
    }

    It 'changes nothing with -WhatIf, and lists both the copies and the removals' {
        $before = Get-VersionState $source
        $preview = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -AsOf $T -Mirror -WhatIf
        ($preview | Where-Object Action -EQ WouldCopy).Key | Sort-Object | Should -Be @('data/a.csv', 'data/c.csv')
        ($preview | Where-Object Action -EQ WouldDelete).Key | Sort-Object | Should -Be @('data/new-1.csv', 'data/new-2.csv')
        Get-VersionState $source | Should -Be $before
    }
}

Describe 'Rolling the source back to T' {
    BeforeAll {
        $run = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -AsOf $T -Mirror
    }

    It 'copies back what changed or vanished, and removes what was written after T with delete markers' {
        ($run | Where-Object Action -EQ Copied).Key | Sort-Object | Should -Be @('data/a.csv', 'data/c.csv')
        $removed = $run | Where-Object Action -EQ Deleted
        $removed.Key | Sort-Object | Should -Be @('data/new-1.csv', 'data/new-2.csv')
        $removed.Reason | Select-Object -Unique | Should -Be 'MissingInBackup'
        $removed | ForEach-Object { $_.SourceVersionId | Should -Not -BeNullOrEmpty; $_.BackupVersionId | Should -BeNullOrEmpty }
        Get-VersionState $source | Should -Match ([regex]::Escape("data/new-1.csv@$(($removed | Where-Object Key -EQ 'data/new-1.csv').SourceVersionId)(marker)"))
    }

    It 'leaves the source listing exactly the backup''s keys at T, with their bodies, and the rest of the bucket alone' {
        (Get-S3BackupObject -Bucket $source -Prefix data/).Key | Should -Be @('data/a.csv', 'data/b.csv', 'data/c.csv')
        Get-Text $source 'data/a.csv' | Should -Be 'a at T'
        Get-Text $source 'data/c.csv' | Should -Be 'c at T'
        (Get-S3BackupObject -Bucket $source -Prefix other/).Key | Should -Be @('other/keep.csv', 'other/new-outside.csv')
    }

    It 'finds nothing to do when run again' {
        $again = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -AsOf $T -Mirror -Summary
        $again.Transferred | Should -Be 0
        $again.Removed | Should -Be 0
    }

    It 'after it, a restore without -AsOf warns that it would put the rolled-back versions back over newer source objects' {
        $shown = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -WhatIf 3>&1
        ($shown | Where-Object Action -EQ WouldCopy).Key | Should -Contain 'data/a.csv'
        $warning = @($shown | Where-Object { $_ -is [Management.Automation.WarningRecord] })
        $warning.Message | Should -Match '^\d+ cop(y|ies) would replace a source object written after the backup version that replaces it \(data/a\.csv.*restore -AsOf the moment before the incident instead'
        # The rollback itself reads versions of T on purpose: no such warning there.
        Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix data/ -AsOf $T -WhatIf 3>&1 |
            Where-Object { $_ -is [Management.Automation.WarningRecord] } | Should -BeNullOrEmpty
    }

    It 'can be undone: removing a delete marker brings the object back' {
        $marker = $run | Where-Object Key -EQ 'data/new-1.csv'
        Remove-Version $source 'data/new-1.csv' $marker.SourceVersionId
        Get-Text $source 'data/new-1.csv' | Should -Be 'new 1'
    }
}

Describe 'Junk under a prefix the backup never had, rolled back on its own (<Entrance>)' -ForEach @(
    @{ Entrance = 'bucket names' }, @{ Entrance = 'piped compare results' }, @{ Entrance = 'compare results from Import-Csv' }
) {
    BeforeAll {
        $junkSource = New-TestName 'junk-source'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $junkSource -Versioned
        foreach ($n in 1..3) { Set-Text $junkSource "junk/$n.tmp" "junk $n" }
        Set-Text $junkSource 'data/a.csv' 'outside the prefix'
        $compareCsv = Join-Path $TestDrive "junk-$($Entrance -replace ' ', '-').csv"
        Compare-S3BackupBucket -SourceBucket $junkSource -BackupBucket $backup -Prefix junk/ -AsOf $T | Export-Csv $compareCsv
        # The same rollback through each entrance; extra parameters (-Force, -WhatIf, -MaxDelete) go to the restore.
        function Invoke-JunkRollback([hashtable] $Extra) {
            switch ($Entrance) {
                'bucket names' { Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $junkSource -Prefix junk/ -AsOf $T -Mirror @Extra }
                'piped compare results' { Compare-S3BackupBucket -SourceBucket $junkSource -BackupBucket $backup -Prefix junk/ -AsOf $T | Sync-S3BackupToSource -Mirror @Extra }
                'compare results from Import-Csv' { Import-Csv $compareCsv | Sync-S3BackupToSource -Mirror @Extra }
            }
        }
    }

    It 'is refused without -Force, with a message that says how, and changes nothing' {
        $before = Get-VersionState $junkSource
        { Invoke-JunkRollback @{ ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue' } } | Should -Throw -ErrorId 'MirrorBackupEmpty,*'
        $error[0].Exception.Message | Should -Match 'would remove all 3 object\(s\).*add -Force to remove them all \(still at most -MaxDelete 1,000\)'
        Get-VersionState $junkSource | Should -Be $before
    }

    It 'with -Force is still capped by -MaxDelete, and changes nothing then' {
        $before = Get-VersionState $junkSource
        { Invoke-JunkRollback @{ Force = $true; MaxDelete = 2; ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue' } } | Should -Throw -ErrorId 'MirrorTooManyRemovals,*'
        Get-VersionState $junkSource | Should -Be $before
    }

    It 'with -Force -WhatIf lists the removals; with -Force removes exactly the junk, with a warning, undoably' {
        $preview = Invoke-JunkRollback @{ Force = $true; WhatIf = $true; WarningAction = 'SilentlyContinue' }
        ($preview | Where-Object Action -EQ WouldDelete).Key | Sort-Object | Should -Be @('junk/1.tmp', 'junk/2.tmp', 'junk/3.tmp')
        $shown = Invoke-JunkRollback @{ Force = $true; Confirm = $false } 3>&1
        $run = $shown | Where-Object { $_ -isnot [Management.Automation.WarningRecord] }
        ($run | Where-Object Action -EQ Deleted).Key | Sort-Object | Should -Be @('junk/1.tmp', 'junk/2.tmp', 'junk/3.tmp')
        @($shown | Where-Object { $_ -is [Management.Automation.WarningRecord] }).Message -match 'selected nothing: -Mirror -Force removes all 3 object\(s\)' |
            Should -Not -BeNullOrEmpty
        (Get-S3BackupObject -Bucket $junkSource).Key | Should -Be @('data/a.csv')
        $null = $run | Undo-S3BackupRestore -Confirm:$false
        (Get-S3BackupObject -Bucket $junkSource).Key | Should -Be @('data/a.csv', 'junk/1.tmp', 'junk/2.tmp', 'junk/3.tmp')
    }
}
