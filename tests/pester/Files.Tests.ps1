BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Set-AdminProfileFile
    $bucket = New-TestName 'sds-data-dev'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket
    Connect-S3Backup -ProfileName admin

    # Local files: zero bytes, 1 MiB, multipart-sized (12 MiB in 5 MiB parts), unicode and spaces in names.
    $upload = Join-Path $TestDrive 'upload'
    $files = [ordered]@{
        'empty.bin'                   = 0
        'one mib.bin'                 = 1MB
        'large/multipart.bin'         = 12MB
        'données/ünï €+%.txt'         = 3000
        'imap/mag/l1a/a b/c.cdf'      = 1024
    }
    foreach ($entry in $files.GetEnumerator()) { Write-RandomFile (Join-Path $upload $entry.Key) $entry.Value }
    function Get-Hash([string] $Path) { (Get-FileHash -Algorithm SHA256 -LiteralPath $Path).Hash }
    $uploadOptions = @{ Bucket = $bucket; Prefix = 'rt/'; MultipartThreshold = 5MB; PartSize = 5MB }
}

AfterAll { Disconnect-S3Backup }

Describe 'Write-S3BackupObject then Save-S3BackupObject: a byte-identical round trip' {
    It 'changes nothing with -WhatIf' {
        $plan = Write-S3BackupObject -Path $upload @uploadOptions -WhatIf
        $plan.Action | Sort-Object -Unique | Should -Be 'WouldUpload'
        $plan.Count | Should -Be $files.Count
        Get-S3BackupObject -Bucket $bucket | Should -BeNullOrEmpty
    }

    It 'uploads every file under the folder to prefix + relative path' {
        $results = Write-S3BackupObject -Path $upload @uploadOptions
        ($results | Where-Object Action -EQ 'Uploaded').Count | Should -Be $files.Count
        (Get-S3BackupObject -Bucket $bucket).Key | Sort-Object | Should -Be ($files.Keys | ForEach-Object { "rt/$_" } | Sort-Object)
    }

    It 'uploads the large file in parts and keeps the content type by extension' {
        (Get-S3BackupObject -Bucket $bucket -Prefix rt/large/).ETag | Should -BeLike '*-3*'
        (Get-TestObject -Bucket $bucket -Key 'rt/données/ünï €+%.txt').ContentType | Should -Be 'text/plain'
    }

    It 'skips identical objects on a second run, multipart ones included' {
        $again = Write-S3BackupObject -Path $upload @uploadOptions -IncludeSkipped
        $again.Action | Sort-Object -Unique | Should -Be 'Skipped'
        $again.Reason | Sort-Object -Unique | Should -Be 'Identical'
    }

    It 'downloads nothing with -WhatIf and lists each object with its size' {
        $plan = Save-S3BackupObject -Bucket $bucket -Prefix rt/ -Destination (Join-Path $TestDrive 'download') -WhatIf
        $plan.Action | Sort-Object -Unique | Should -Be 'WouldDownload'
        ($plan | Measure-Object Bytes -Sum).Sum | Should -Be ($files.Values | Measure-Object -Sum).Sum
        Test-Path (Join-Path $TestDrive 'download') | Should -BeFalse
    }

    It 'asks -WhatIf/-Confirm once per run, so the verbose log has one line for it, not one per file' {
        $log = Save-S3BackupObject -Bucket $bucket -Prefix rt/ -Destination (Join-Path $TestDrive 'download') -WhatIf -Verbose 4>&1 6>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.InformationRecord] }
        $log | Where-Object { "$_" -match 'Performing the operation' } | Should -BeNullOrEmpty -Because '-WhatIf prints its one line to the host'
        $verbose = Save-S3BackupObject -Bucket $bucket -Prefix rt/ -Destination (Join-Path $TestDrive 'verbose') -Verbose -IncludeSkipped 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -Match 'Performing the operation').Count | Should -Be 1
        $summary = Save-S3BackupObject -Bucket $bucket -Prefix rt/ -Destination (Join-Path $TestDrive 'verbose') -Summary -InformationAction Ignore
        ($summary.Activity, $summary.Skipped, $summary.Transferred) | Should -Be @('Download', $files.Count, 0)
    }

    It 'downloads every object to a byte-identical file' {
        $destination = Join-Path $TestDrive 'download'
        $results = Save-S3BackupObject -Bucket $bucket -Prefix rt/ -Destination $destination
        ($results | Where-Object Action -EQ 'Downloaded').Count | Should -Be $files.Count
        foreach ($name in $files.Keys) {
            Get-Hash (Join-Path $destination "rt/$name") | Should -Be (Get-Hash (Join-Path $upload $name)) -Because $name
        }
        Get-ChildItem $destination -Recurse -Force -Filter '.s3partial-*' | Should -BeNullOrEmpty
    }

    It 'downloads nothing on a second run' {
        $again = Get-S3BackupObject -Bucket $bucket -Prefix rt/ | Save-S3BackupObject -Destination (Join-Path $TestDrive 'download') -IncludeSkipped
        $again.Action | Sort-Object -Unique | Should -Be 'Skipped'
    }

    It 'leaves a changed local file alone without -Force and replaces it with -Force' {
        $path = Join-Path $TestDrive 'download/rt/one mib.bin'
        [IO.File]::WriteAllBytes($path, [byte[]](Get-RandomBytes 1MB))
        $changed = Get-Hash $path
        Save-S3BackupObject -Bucket $bucket -Prefix 'rt/one' -Destination (Join-Path $TestDrive 'download') -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'FileExists,*'
        Get-Hash $path | Should -Be $changed
        (Save-S3BackupObject -Bucket $bucket -Prefix 'rt/one' -Destination (Join-Path $TestDrive 'download') -Force).Action | Should -Be 'Downloaded'
        Get-Hash $path | Should -Be (Get-Hash (Join-Path $upload 'one mib.bin'))
    }

    It 'saves a whole folder back to the same keys' {
        $restored = New-TestName 'sds-data-dev-restored'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $restored
        $null = Write-S3BackupObject -Path (Join-Path $TestDrive 'download') -Bucket $restored -MultipartThreshold 5MB -PartSize 5MB
        (Get-S3BackupObject -Bucket $restored).Key | Sort-Object | Should -Be ((Get-S3BackupObject -Bucket $bucket).Key | Sort-Object)
    }
}

Describe 'Uploading names and folders as they are' {
    It 'takes -LiteralPath and piped files as written, and does not follow a symlinked folder' {
        $folder = Join-Path $TestDrive 'literal'
        $null = New-Item -ItemType Directory -Force (Join-Path $folder 'data')
        Set-Content -LiteralPath (Join-Path $folder 'data/run[1].txt') 'bracketed'
        $elsewhere = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'elsewhere')
        Set-Content (Join-Path $elsewhere 'secret.txt') 'not part of the upload'
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'linked') -Target $elsewhere.FullName

        (Write-S3BackupObject -LiteralPath $folder -Bucket $bucket -Prefix 'literal/').Key | Should -Be 'literal/data/run[1].txt'
        (Get-ChildItem -LiteralPath (Join-Path $folder 'data') -File | Write-S3BackupObject -Bucket $bucket -Prefix 'piped/').Key | Should -Be 'piped/run[1].txt'
        # A prefix is a folder, with or without its trailing slash.
        (Get-ChildItem -LiteralPath (Join-Path $folder 'data') -File | Write-S3BackupObject -Bucket $bucket -Prefix 'tmp/check').Key | Should -Be 'tmp/check/run[1].txt'
        Get-S3BackupObject -Bucket $bucket -Prefix 'literal/linked' | Should -BeNullOrEmpty
    }
}

Describe 'Keys that would escape the destination' {
    BeforeAll {
        $outside = Join-Path $TestDrive 'escape-target'
        $destination = Join-Path $outside 'inside'
        $null = New-Item -ItemType Directory -Force $destination
        # Keys S3 stores as given. The SDK would normalise '..' in a request path and XML listings cannot carry
        # control characters, so those come as records.
        $stored = 'back\slash.txt', 'C:/drive.txt', 'a//double.txt'
        foreach ($key in $stored) { Write-TestObject -Bucket $bucket -Key $key -Bytes (Get-RandomBytes 10) }
        Write-TestObject -Bucket $bucket -Key 'fine/ok.txt' -Bytes (Get-RandomBytes 10)
        $records = @($stored + 'fine/ok.txt' | ForEach-Object { Get-S3BackupObject -Bucket $bucket -Prefix $_ | Where-Object Key -CEQ $_ })
        $records += '../escape.txt', 'fine/../../escape.txt', 'fine/./dot.txt', "ctl/bell`a.txt", '/absolute.txt' | ForEach-Object {
            [S3Replication.Records.S3ObjectRecord]@{ Bucket = $bucket; Key = $_; Size = 10; ETag = '00000000000000000000000000000000' }
        }
    }

    It 'refuses each unsafe key by name, saves the safe one, and writes nothing outside' {
        $results = $records | Save-S3BackupObject -Destination $destination -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 8
        $failures.FullyQualifiedErrorId | ForEach-Object { $_ -replace ',.*' } | Sort-Object -Unique | Should -Be 'UnsafeKey'
        ($failures.Exception.Message -match [regex]::Escape("'fine/../../escape.txt'")).Count | Should -Be 1
        ($results | Where-Object Action -EQ 'Downloaded').Key | Should -Be 'fine/ok.txt'
        Get-ChildItem $outside -Recurse -File | ForEach-Object FullName | Should -Be (Join-Path $destination 'fine/ok.txt')
    }

    It 'refuses a key whose folder is a symbolic link' -Skip:$IsWindows {
        $target = Join-Path $TestDrive 'link-target'
        $null = New-Item -ItemType Directory -Force $target
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $destination 'fine2') -Target $target
        $record = [S3Replication.Records.S3ObjectRecord]@{ Bucket = $bucket; Key = 'fine2/ok.txt'; Size = 10; ETag = '00000000000000000000000000000000' }
        $record | Save-S3BackupObject -Destination $destination -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'UnsafeKey,*'
        Get-ChildItem $target | Should -BeNullOrEmpty
    }
}

Describe 'Bad input' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = 'a path that does not exist'; Command = { Write-S3BackupObject -Path (Join-Path $TestDrive 'nope') -Bucket $bucket -ErrorAction Stop }; ErrorId = 'PathNotFound' }
        @{ Case = 'an invalid bucket for upload'; Command = { Write-S3BackupObject -Path $upload -Bucket 'Bad_Bucket' -ErrorAction Stop }; ErrorId = 'InvalidBucketName' }
        @{ Case = 'a file as destination'; Command = { Save-S3BackupObject -Bucket $bucket -Destination (Join-Path $upload 'empty.bin') -ErrorAction Stop }; ErrorId = 'InvalidArgument' }
        @{ Case = 'a too small part size'; Command = { Write-S3BackupObject -Path $upload -Bucket $bucket -PartSize 1MB -ErrorAction Stop }; ErrorId = 'ParameterArgumentValidationError' }
    ) {
        $before = (Get-S3BackupObject -Bucket $bucket).Count
        $Command | Should -Throw -ErrorId "$ErrorId,*"
        (Get-S3BackupObject -Bucket $bucket).Count | Should -Be $before
    }
}
