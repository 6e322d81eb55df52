# -CompareBy Auto and Checksum against moto_server, whose S3 stores additional checksums (the Ceph server does not).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
    $moto = Start-MotoServer -Folder (Join-Path $TestDrive 'moto')
    $backup = New-TestName 'checksum-backup'
    $source = New-TestName 'checksum-source'
    $fixtures = & python3 (Join-Path $PSScriptRoot '../standins/checksum_fixtures.py') $moto.Endpoint $backup $source | ConvertFrom-Json -AsHashtable
    if ($LASTEXITCODE -ne 0) { throw 'The checksum fixtures could not be written.' }
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') -Config "[profile moto]`nendpoint_url = $($moto.Endpoint)`nregion = us-east-1`n" `
        -Credentials "[moto]`naws_access_key_id = moto`naws_secret_access_key = moto`n"

    # "Key" -> "State/Reason" (compare results) or "Action/Reason" (restore results).
    function Get-OutcomeByKey($Results, [string] $What) {
        $byKey = @{}
        foreach ($result in $Results) { $byKey[$result.Key] = "$($result.$What)/$($result.Reason)" }
        $byKey
    }

    function Get-MotoChecksum([string] $Bucket, [string] $Key) {
        & python3 -c "import boto3,sys; h=boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='m', aws_secret_access_key='m').head_object(Bucket=sys.argv[2], Key=sys.argv[3], ChecksumMode='ENABLED'); print(h.get('ChecksumCRC32') or '')" $moto.Endpoint $Bucket $Key
    }
}

AfterAll { $moto | Stop-StandIn }

Describe 'Comparing by checksum where ETags cannot tell' {
    It 'the fixtures really have different ETags for the same content' {
        $fixtures["$backup/same-content.bin"].ETag | Should -Not -Be $fixtures["$source/same-content.bin"].ETag
        $fixtures["$backup/same-content.bin"].CRC32 | Should -Be $fixtures["$source/same-content.bin"].CRC32
    }

    It 'Compare-S3BackupBucket (Auto): equal by checksum, different by checksum, unverifiable, equal by ETag' {
        $byKey = Get-OutcomeByKey (Compare-S3BackupBucket -ProfileName moto -SourceBucket $source -BackupBucket $backup -IncludeEqual) State
        $byKey['same-content.bin'] | Should -Be 'Equal/SameChecksum'
        $byKey['changed.bin'] | Should -Be 'Different/ChecksumDiffers'
        $byKey['no-checksum.bin'] | Should -Be 'Different/Unverifiable'
        $byKey['plain.bin'] | Should -Be 'Equal/SameETag'
    }

    It 'ETag mode calls every multipart pair different, as before' {
        $results = Compare-S3BackupBucket -ProfileName moto -SourceBucket $source -BackupBucket $backup -CompareBy ETag
        ($results | Where-Object Key -EQ 'same-content.bin').State | Should -Be 'Different'
    }

    It 'Checksum mode decides by checksums only' {
        $results = Compare-S3BackupBucket -ProfileName moto -SourceBucket $source -BackupBucket $backup -CompareBy Checksum -IncludeEqual
        ($results | Where-Object Key -EQ 'plain.bin').Reason | Should -Be 'SameChecksum'
        ($results | Where-Object Key -EQ 'same-content.bin').State | Should -Be 'Equal'
    }

    It 'a restore copies only what differs or cannot be verified, and the copies keep the checksum' {
        $actions = Get-OutcomeByKey (Sync-S3BackupToSource -ProfileName moto -BackupBucket $backup -SourceBucket $source -IncludeSkipped) Action
        $actions['same-content.bin'] | Should -Be 'Skipped/SameChecksum'
        $actions['plain.bin'] | Should -Be 'Skipped/SameETag'
        $actions['changed.bin'] | Should -Be 'Copied/ChecksumDiffers'
        $actions['no-checksum.bin'] | Should -Be 'Copied/Unverifiable'
        Get-MotoChecksum $source 'changed.bin' | Should -Be $fixtures["$backup/changed.bin"].CRC32
        (Compare-S3BackupBucket -ProfileName moto -SourceBucket $source -BackupBucket $backup | Where-Object Key -EQ 'changed.bin') | Should -BeNullOrEmpty
    }
}
