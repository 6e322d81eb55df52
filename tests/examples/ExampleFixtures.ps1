<#
    Dot-sourced by tests/pester/Examples.Tests.ps1 (after Common.ps1): the fixtures a shipped example runs against, and the
    runner. Each example gets its own buckets, roles and working folder; its placeholders (bucket names, role and user
    ARNs, profile names, endpoints) are replaced by the fixture's before it runs as a script file, so that its `exit`
    statements end only the example and set $LASTEXITCODE.
#>

# The keys every fixture holds. The backup has January's mag files (one empty, one second version) and a swe file; the
# source lacks most of them, holds a different swe file and one file the backup lacks.
$ExampleKeys = [ordered]@{
    Mag05  = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250105_v001.cdf'
    Mag06  = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250106_v001.cdf'
    Mag07  = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250107_v001.cdf'
    Mag07b = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250107_v002.cdf'
    Mag08  = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250108_v001.cdf'
    Swe    = 'imap/swe/l0/2025/01/imap_swe_l0_raw_20250103_v001.pkts'
    New    = 'imap/new-since-backup.cdf'
    Late   = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250110_v001.cdf'
}

# The names examples use for buckets, in the order they are replaced (longest first, so a backup's name is not taken
# for its source's). A pair's backup is created with its source.
$BucketPlaceholders = [ordered]@{
    'sds-data-dev-backup'  = 'DevBackup'
    'sds-data-dev'         = 'DevSource'
    'sds-data-prod-backup' = 'ProdBackup'
    'sds-data-prod'        = 'ProdSource'
    'sds-ops-work'         = 'Work'
    'sds-inventory'        = 'Inventory'
}
$RolePlaceholders = 'SdsDataManager-dev-BackupRole', 'BackupRole', 'BatchRestore', 'BatchReplication', 'BatchVerify'

function Format-Placeholder([string] $Name) { '(?<![\w.-])' + [regex]::Escape($Name) + '(?![\w-])' }

function Use-S3Client([scriptblock] $Script) {
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try { & $Script $client } finally { $client.Dispose() }
}

function Write-ExampleText([string] $Bucket, [string] $Key, [string] $Text) {
    Write-TestObject -Bucket $Bucket -Key $Key -Bytes ([Text.Encoding]::UTF8.GetBytes($Text))
}

# A bucket pair as the runbook leaves it: the backup replicated from the source by rule ReplicateToBackup.
function New-ExamplePair([string] $Prefix, $Spec) {
    $pair = [pscustomobject]@{ Source = New-TestName "$Prefix-src"; Backup = New-TestName "$Prefix-bkp" }
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $pair.Source -Versioned:(-not $Spec['UnversionedSource'])
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $pair.Backup -Versioned
    foreach ($name in 'Mag05', 'Mag06', 'Mag07', 'Mag07b') { Write-ExampleText $pair.Backup $ExampleKeys[$name] "backup of $name" }
    Write-TestObject -Bucket $pair.Backup -Key $ExampleKeys.Mag08 -Bytes ([byte[]]::new(0))
    Write-ExampleText $pair.Backup $ExampleKeys.Swe 'swe as backed up'
    Write-ExampleText $pair.Source $ExampleKeys.Mag05 'backup of Mag05'
    Write-ExampleText $pair.Source $ExampleKeys.Swe 'swe rewritten by a bad run'
    Write-ExampleText $pair.Source $ExampleKeys.New 'written after the last replication'
    if (-not $Spec['NoRule']) { Set-ExampleRule -Bucket $pair.Source -Rule @(@{ Id = 'ReplicateToBackup'; Destination = $pair.Backup }) }
    $pair
}

# Writes a replication configuration straight to the server (the module's own writer verifies with a settle delay,
# too slow to run for every fixture).
function Set-ExampleRule([string] $Bucket, [hashtable[]] $Rule) {
    Use-S3Client {
        param($client)
        $configuration = [Amazon.S3.Model.ReplicationConfiguration]@{ Role = $SuiteRole.Arn; Rules = [System.Collections.Generic.List[Amazon.S3.Model.ReplicationRule]]::new() }
        $priority = 0
        foreach ($entry in $Rule) {
            $priority++
            $configuration.Rules.Add([Amazon.S3.Model.ReplicationRule]@{
                    Id                      = $entry.Id
                    Priority                = $priority
                    Status                  = $(if ($entry['Disabled']) { 'Disabled' } else { 'Enabled' })
                    Filter                  = [Amazon.S3.Model.ReplicationRuleFilter]@{ Prefix = '' }
                    Destination             = [Amazon.S3.Model.ReplicationDestination]@{ BucketArn = "arn:aws:s3:::$($entry.Destination)"; AccountId = '123456789012' }
                    DeleteMarkerReplication = [Amazon.S3.Model.DeleteMarkerReplication]@{ Status = 'Disabled' }
                })
        }
        $null = $client.PutBucketReplicationAsync([Amazon.S3.Model.PutBucketReplicationRequest]@{ BucketName = $Bucket; Configuration = $configuration }).GetAwaiter().GetResult()
    }
}

# "A bad run" after the moment T an example restores to: Mag05 overwritten, Late written and Mag06 deleted, carried to the
# backup as replication would. S3 keeps times to the second, hence the pauses either side of T.
function Add-ExampleIncident($Pair) {
    Start-Sleep -Milliseconds 1100
    $moment = [DateTime]::UtcNow
    Start-Sleep -Milliseconds 1100
    foreach ($bucket in $Pair.Source, $Pair.Backup) {
        Write-ExampleText $bucket $ExampleKeys.Mag05 'overwritten by the bad run'
        Write-ExampleText $bucket $ExampleKeys.Late 'written by the bad run'
        Remove-TestObject -Bucket $bucket -Key $ExampleKeys.Mag06
    }
    $moment.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", [cultureinfo]::InvariantCulture)
}

function New-ExampleRole([string] $Placeholder, [string[]] $TrustedPrincipal = @($Tester.Arn)) {
    New-LocalS3Role -Server $Server -Name (New-TestName $Placeholder) -TrustedPrincipal $TrustedPrincipal `
        -TrustedService 's3.amazonaws.com', 'batchoperations.s3.amazonaws.com'
}

<#
    The fixture of one example: the buckets and roles its text names (created fresh), its working folder, the variables it
    reads ($role, $id, $job) and the substitutions that turn its placeholders into the fixture's names.
#>
function New-ExampleFixture($Example, $Spec) {
    $f = [pscustomobject]@{
        Example = $Example; Folder = Join-Path $TestDrive "examples/$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        Buckets = @{}; Roles = @{}; Variables = @{}; Replace = [ordered]@{}; Moment = $null; Pairs = @{}; Failing = $null
    }
    $null = New-Item -ItemType Directory -Force $f.Folder
    $code = $Example.Code
    foreach ($environment in 'dev', 'prod') {
        if ($code -match (Format-Placeholder "sds-data-$environment") -or $code -match (Format-Placeholder "sds-data-$environment-backup") -or
            ($environment -eq 'dev' -and $code -match '\.ps1|sds-inventory')) {
            $null = Get-ExamplePair $f $environment $Spec
        }
    }
    foreach ($name in 'sds-ops-work', 'sds-inventory') {
        if ($code -match $name) { $null = Get-ExampleBucket $f $name }
    }
    foreach ($name in $RolePlaceholders) {
        if ($code -match (Format-Placeholder $name)) { $f.Roles[$name] = New-ExampleRole $name }
    }
    if ($Spec['PointInTime']) { $f.Moment = Add-ExampleIncident (Get-ExamplePair $f 'dev' $Spec) }
    $f
}

# The bucket pair (dev or prod) of a fixture, created on first use.
function Get-ExamplePair($Fixture, [string] $Environment, $Spec = @{}) {
    if (-not $Fixture.Pairs.ContainsKey($Environment)) {
        $pair = New-ExamplePair $Environment $Spec
        $Fixture.Pairs[$Environment] = $pair
        $Fixture.Buckets["sds-data-$Environment"] = $pair.Source
        $Fixture.Buckets["sds-data-$Environment-backup"] = $pair.Backup
    }
    $Fixture.Pairs[$Environment]
}

# A plain bucket of a fixture (sds-ops-work, sds-inventory), created on first use.
function Get-ExampleBucket($Fixture, [string] $Placeholder) {
    if (-not $Fixture.Buckets.ContainsKey($Placeholder)) {
        $Fixture.Buckets[$Placeholder] = New-TestName ($Placeholder -replace '^sds-')
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $Fixture.Buckets[$Placeholder]
    }
    $Fixture.Buckets[$Placeholder]
}

# A role in moto_server's IAM (for the one example that needs STS GetCallerIdentity, which the Ceph server lacks).
function New-MotoRole([string] $Placeholder) {
    $name = New-TestName $Placeholder
    $arn = & python3 -c @'
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto")
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
print(iam.create_role(RoleName=sys.argv[2], AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
'@ $Moto.Endpoint $name
    if ($LASTEXITCODE) { throw "moto_server did not create role $name" }
    [pscustomobject]@{ Name = $name; Arn = $arn }
}

# The role an example's variable names ($role), created if its text names none.
function Get-ExampleRole($Fixture, [string] $Placeholder) {
    if (-not $Fixture.Roles.ContainsKey($Placeholder)) { $Fixture.Roles[$Placeholder] = New-ExampleRole $Placeholder }
    $Fixture.Roles[$Placeholder]
}

function Convert-ExampleCode($Fixture) {
    $code = $Fixture.Example.Code
    # An example's own substitutions first (a job id, a task count), then the placeholders every example shares.
    foreach ($entry in $Fixture.Replace.GetEnumerator()) { $code = $code.Replace($entry.Key, $entry.Value) }
    if ($Fixture.Moment) { $code = $code.Replace('2026-12-01T22:00:00Z', $Fixture.Moment) }
    foreach ($name in $RolePlaceholders) {
        if (-not $Fixture.Roles.ContainsKey($name)) { continue }
        $role = $Fixture.Roles[$name]
        $code = $code -replace ('arn:aws:iam::(\d{12})?:role/' + [regex]::Escape($name) + '(?![\w-])'), $role.Arn
        $code = $code -replace (Format-Placeholder $name), $role.Name
    }
    $code = $code -replace 'arn:aws:iam::\d{12}:user/hartnett', $Hartnett.Arn
    $code = $code -replace 's3://sds-inventory/', 's3://sds-inventory/inventory/'   # inventory_fixture.py delivers under inventory/
    foreach ($name in $BucketPlaceholders.Keys) {
        if ($Fixture.Buckets.ContainsKey($name)) { $code = $code -replace (Format-Placeholder $name), $Fixture.Buckets[$name] }
    }
    $code = $code -replace 'http://rgw\.internal:8000', $Server.Endpoint
    $code = $code -replace (Format-Placeholder 'sds-admin'), 'admin'
    if ($Fixture.Example.File -like '*.ps1') { $code = Add-ScriptBucketArgument $Fixture $code }
    # A script example starts with ./<script>.ps1, run from examples/.
    $code -replace '^\./([\w-]+\.ps1)', ("& '" + (Join-Path $ExamplesFolder '$1') + "'")
}

# A script parameter whose default is a placeholder bucket name, and which the example leaves out, gets the fixture's bucket.
function Add-ScriptBucketArgument($Fixture, [string] $Code) {
    $tokens = $null; $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Fixture.Example.File, [ref] $tokens, [ref] $errors)
    foreach ($parameter in @($ast.ParamBlock.Parameters)) {
        $name = $parameter.Name.VariablePath.UserPath
        $default = $parameter.DefaultValue
        if ($default -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $Fixture.Buckets.ContainsKey($default.Value) -and
            $Code -notmatch "-$name\b") {
            $Code += " -$name $($Fixture.Buckets[$default.Value])"
        }
    }
    $Code
}

<#
    Runs one example as written (after substitution) in its own folder with $ErrorActionPreference Stop, then asserts that
    it wrote no error (to any stream, or to $Error), ended with the spec's exit code and passes the spec's Check, which
    gets: Output (pipeline objects), Warnings, Verbose, ExitCode, Fixture and Code (what ran). The checks run before the
    config files, the AWS_* environment, TMPDIR and $PSDefaultParameterValues are put back.
#>
function Invoke-Example($Example, $Spec) {
    $f = New-ExampleFixture $Example $Spec
    if ($Spec['Setup']) { & $Spec['Setup'] $f }
    $code = Convert-ExampleCode $f
    $path = Join-Path $f.Folder 'example.ps1'
    Set-Content -Path $path -Value $code

    $savedFiles = @{ $ProfileFiles.Config = [IO.File]::ReadAllText($ProfileFiles.Config); $ProfileFiles.Credentials = [IO.File]::ReadAllText($ProfileFiles.Credentials) }
    $savedEnvironment = @(Get-ChildItem env: | Where-Object { $_.Name -like 'AWS_*' -or $_.Name -eq 'TMPDIR' } | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Value = $_.Value } })
    $savedDefaults = $PSDefaultParameterValues.Clone()
    Disconnect-S3Backup
    if ($Spec['Session'] -ne 'none') { Connect-S3Backup -ProfileName ($Spec['Session'] ?? 'admin') }
    foreach ($entry in ($Spec['Environment'] ?? @{}).GetEnumerator()) { Set-Item "env:$($entry.Key)" $entry.Value }
    # Examples that write to the temporary folder ([IO.Path]::GetTempPath(), which follows TMPDIR on Linux) write here.
    $env:TMPDIR = $f.Folder
    # An example that asks before it changes anything is answered yes (its test name says so).
    if ($Spec['Confirm']) { $PSDefaultParameterValues['*:Confirm'] = $false }
    Push-Location $f.Folder
    try {
        # The variables the example reads ($role, $id, $job), in the scope its script runs under.
        foreach ($variable in $f.Variables.GetEnumerator()) { Set-Variable -Name $variable.Key -Value $variable.Value }
        $ErrorActionPreference = 'Stop'
        $global:LASTEXITCODE = 0
        $Error.Clear()
        $records = @(& $path *>&1)
        $exitCode = $global:LASTEXITCODE
        $logged = @($Error)
        $streams = 'System.Management.Automation.ErrorRecord', 'System.Management.Automation.WarningRecord', 'System.Management.Automation.VerboseRecord',
        'System.Management.Automation.InformationRecord', 'System.Management.Automation.DebugRecord'
        $run = [pscustomobject]@{
            Output   = @($records | Where-Object { $_.GetType().FullName -notin $streams })
            Warnings = @($records | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
            Verbose  = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            ExitCode = $exitCode
            Fixture  = $f
            Code     = $code
        }
        # Errors a script swallows (in a calculated property, under -ErrorAction SilentlyContinue) still reach $Error.
        @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) + $logged | Select-Object -First 5 |
            Should -BeNullOrEmpty -Because "the example ran as:`n$code`n"
        $run.ExitCode | Should -Be ($Spec['ExitCode'] ?? 0) -Because "the example ran as:`n$code`n"
        if ($Spec['Check']) { & $Spec['Check'] $run }
    }
    finally {
        Pop-Location
        $PSDefaultParameterValues.Clear()
        foreach ($entry in $savedDefaults.GetEnumerator()) { $PSDefaultParameterValues[$entry.Key] = $entry.Value }
        foreach ($entry in $savedFiles.GetEnumerator()) { [IO.File]::WriteAllText($entry.Key, $entry.Value) }
        Get-ChildItem env: | Where-Object { $_.Name -like 'AWS_*' -or $_.Name -eq 'TMPDIR' } | ForEach-Object { Remove-Item "env:$($_.Name)" }
        foreach ($entry in $savedEnvironment) { Set-Item "env:$($entry.Name)" $entry.Value }
    }
}

# The keys a bucket lists now.
function Get-ExampleKey([string] $Bucket, [string] $Prefix = '') { @((Get-S3BackupObject -ProfileName admin -Bucket $Bucket -Prefix $Prefix).Key) }

<#
    A restore job on the S3 Control stand-in, for the examples that act on one ($id, $job). With -FailOne, one more backup
    object (its key in $Fixture.Failing) fails with SlowDown: the stand-in fails a key in every later job, hence a new key.
#>
function New-ExampleJob($Fixture, [switch] $Run, [switch] $FailOne) {
    $pair = Get-ExamplePair $Fixture 'dev'
    if ($FailOne) {
        $Fixture.Failing = "imap/mag/l1a/2025/01/fails-$([Guid]::NewGuid().ToString('N').Substring(0, 8)).cdf"
        Write-ExampleText $pair.Backup $Fixture.Failing 'the stand-in fails this copy'
        $null = Invoke-RestMethod -Method Post "$($Control.Endpoint)/_standin/fail" -Body (@{ keys = @($Fixture.Failing) } | ConvertTo-Json) -ContentType 'application/json' -NoProxy
    }
    $work = Get-ExampleBucket $Fixture 'sds-ops-work'
    $job = Start-S3BackupBatchRestore -ProfileName ops -BackupBucket $pair.Backup -SourceBucket $pair.Source -WorkBucket $work `
        -RoleArn (Get-ExampleRole $Fixture 'BatchRestore').Arn -NoConfirmation:$Run -WarningAction SilentlyContinue
    if ($Run) { $job = $job | Wait-S3BackupBatchJob -ProfileName ops }
    $job
}

function Get-ExampleTrust([string] $RoleName) { @((Get-BackupRoleTrustPolicy -ProfileName admin -RoleName $RoleName).Principals.Principal) }
