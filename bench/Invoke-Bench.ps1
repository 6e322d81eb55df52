#Requires -Version 7.4
<#
    Benchmarks S3Replication against its peers on a freshly started local S3 server (Ceph RGW, stock frontend
    settings), peers interleaved with our runs, and writes bench/RESULTS.md. Run by: dotnet pwsh ./build.ps1 Bench
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [int] $Runs = 5
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../tests/s3server/LocalS3.psm1')
# dotnet pwsh resolves through the repository's tool manifest, so run from the repository root.
Set-Location (Join-Path $PSScriptRoot '..')

function Install-AwsCli {
    if (Test-Path /usr/bin/aws) { return '/usr/bin/aws' }
    if ((id -u) -ne '0') { Write-Warning 'awscli (Debian) is not installed and this is not root: the aws CLI rows are skipped.'; return $null }
    Write-Host '==> Installing the peer tool awscli from Debian packages'
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get install -y -qq awscli *> $null
    if (Test-Path /usr/bin/aws) { '/usr/bin/aws' } else { Write-Warning 'Installing awscli failed: the aws CLI rows are skipped.'; $null }
}

function Measure-Run([scriptblock] $Command) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "A benchmark command failed (exit code $LASTEXITCODE): $Command" }
    $watch.Elapsed.TotalMilliseconds
}

function Get-Summary([string] $Scenario, [string] $Tool, [double[]] $Milliseconds) {
    $sorted = $Milliseconds | Sort-Object
    [pscustomobject]@{
        Scenario = $Scenario; Tool = $Tool; Runs = $sorted.Count
        MedianMs = [Math]::Round($sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)], 0)
        MinMs = [Math]::Round($sorted[0], 0); MaxMs = [Math]::Round($sorted[-1], 0)
    }
}

# Every row that starts pwsh pays the same host cost: dotnet pwsh, as users run it.
function Invoke-Pwsh([string] $Script) { & dotnet pwsh -NoProfile -NonInteractive -Command $Script > $null }

$aws = Install-AwsCli
$server = Start-LocalS3
$results = [System.Collections.Generic.List[object]]::new()
try {
    $operator = New-LocalS3User -Server $server -Name 'bench-operator'
    $role = New-LocalS3Role -Server $server -Name 'BenchBackupRole' -TrustedPrincipal $operator.Arn
    $folder = Join-Path $server.Root 'bench-aws'
    $null = New-Item -ItemType Directory -Force $folder
    [IO.File]::WriteAllText((Join-Path $folder 'credentials'), "[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n")
    $settings = "endpoint_url = $($server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
    [IO.File]::WriteAllText((Join-Path $folder 'config'), "[profile imap]`n$settings`n[profile backup-role]`nrole_arn = $($role.Arn)`nsource_profile = imap`n$settings")
    $env:AWS_CONFIG_FILE = Join-Path $folder 'config'
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $folder 'credentials'
    New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name 'sds-data-dev' -Versioned
    $manifest = Join-Path $ModulePath 'S3Replication.psd1'

    $timings = @{ baseline = @(); import = @(); connect = @(); aws = @() }
    for ($run = 0; $run -lt $Runs; $run++) {
        $timings.baseline += Measure-Run { Invoke-Pwsh 'exit' }
        $timings.import += Measure-Run { Invoke-Pwsh "Import-Module '$manifest'" }
        $timings.connect += Measure-Run { Invoke-Pwsh "Import-Module '$manifest'; Connect-S3Backup -ProfileName backup-role -Bucket sds-data-dev -ErrorAction Stop" }
        if ($aws) {
            # aws CLI 2.9.19 sends role_arn profiles' AssumeRole to AWS itself, so the runbook check is two calls.
            $timings.aws += Measure-Run {
                $assumed = & $aws sts assume-role --endpoint-url $server.Endpoint --role-arn $role.Arn --role-session-name bench --output json --profile imap --region us-east-1 | ConvertFrom-Json
                if ($LASTEXITCODE -ne 0) { return }
                $env:AWS_ACCESS_KEY_ID = $assumed.Credentials.AccessKeyId
                $env:AWS_SECRET_ACCESS_KEY = $assumed.Credentials.SecretAccessKey
                $env:AWS_SESSION_TOKEN = $assumed.Credentials.SessionToken
                try { & $aws s3 ls s3://sds-data-dev --region us-east-1 --endpoint-url $server.Endpoint > $null }
                finally { Remove-Item env:AWS_ACCESS_KEY_ID, env:AWS_SECRET_ACCESS_KEY, env:AWS_SESSION_TOKEN }
            }
        }
    }
    $results.Add((Get-Summary 'cold start, nothing loaded' 'pwsh -c exit (baseline)' $timings.baseline))
    $results.Add((Get-Summary 'cold start + Import-Module' 'S3Replication' $timings.import))
    $results.Add((Get-Summary 'assume role + list bucket, whole process' 'S3Replication (Connect-S3Backup -Bucket)' $timings.connect))
    if ($aws) { $results.Add((Get-Summary 'assume role + list bucket, whole process' 'aws CLI 2.9.19 (sts assume-role; s3 ls)' $timings.aws)) }
}
finally {
    Stop-LocalS3 $server
}

$importOverhead = ($results | Where-Object Tool -EQ 'S3Replication').MedianMs - ($results | Where-Object Tool -Like 'pwsh*').MedianMs
$lines = @(
    '# Benchmark results'
    ''
    "Run by ``build.ps1 Bench`` on $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC: $([Environment]::ProcessorCount) cores, $([Math]::Round((Get-Content /proc/meminfo -First 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB,"
    "PowerShell $($PSVersionTable.PSVersion), local Ceph RGW with stock frontend settings (no tcp_nodelay), freshly started."
    "Each row: $Runs runs, interleaved with the other rows; times in milliseconds, whole processes (pwsh is started through ``dotnet pwsh``)."
    ''
    '| scenario | tool | median | min–max |'
    '|---|---|---:|---:|'
    ($results | ForEach-Object { "| $($_.Scenario) | $($_.Tool) | $($_.MedianMs) | $($_.MinMs)–$($_.MaxMs) |" })
    ''
    "Import-Module overhead above the bare pwsh baseline (medians): **$importOverhead ms** (target: under 300 ms)."
)
$lines | Set-Content $ResultsPath
$results | Format-Table -AutoSize | Out-Host
Write-Host "Results written to $ResultsPath"
