# Dot-sourced by every Pester file: the published module, the running local server and its fixtures.
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $env:S3R_MODULE_PATH 'S3Replication.psd1') -Force
Import-Module (Join-Path $PSScriptRoot '../s3server/LocalS3.psm1') -Force
$Server = Get-Content $env:S3R_TEST_SERVER -Raw | ConvertFrom-Json
$ModulePath = $env:S3R_MODULE_PATH

function New-TestName([string] $Prefix) { "$Prefix-$([Guid]::NewGuid().ToString('N').Substring(0, 8))" }

<#
    Points this process at its own profile files. The AWS SDK reads AWS_CONFIG_FILE once per process, so each
    Pester file (a fresh process) calls this once, before the first cmdlet that reads profiles.
#>
function Set-TestProfileFile([string] $Folder, [string] $Credentials, [string] $Config) {
    $null = New-Item -ItemType Directory -Force $Folder
    $credentialsPath = Join-Path $Folder 'credentials'
    $configPath = Join-Path $Folder 'config'
    [IO.File]::WriteAllText($credentialsPath, $Credentials)
    [IO.File]::WriteAllText($configPath, $Config)
    $env:AWS_SHARED_CREDENTIALS_FILE = $credentialsPath
    $env:AWS_CONFIG_FILE = $configPath
    foreach ($name in 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION') {
        Remove-Item "env:$name" -ErrorAction Ignore
    }
    [pscustomobject]@{ Credentials = $credentialsPath; Config = $configPath }
}

# The settings every profile needs against the local server (Ceph RGW rejects the SDK's default checksums).
function Get-LocalProfileSetting {
    "endpoint_url = $($Server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
}
