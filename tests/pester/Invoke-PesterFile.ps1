#Requires -Version 7.4
<#
    Runs one Pester file in this (fresh) process against the published module and writes a JSON summary.
    The module path and local server reach the tests through environment variables read by Common.ps1.
#>
param(
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ServerFile,
    [Parameter(Mandatory)] [string] $SummaryPath
)
$ErrorActionPreference = 'Stop'
$env:S3R_MODULE_PATH = $ModulePath
$env:S3R_TEST_SERVER = $ServerFile
Import-Module $PesterManifest

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.RenderMode = 'Plaintext'
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'JUnitXml'
$configuration.TestResult.OutputPath = [System.IO.Path]::ChangeExtension($SummaryPath, '.junit.xml')
$result = Invoke-Pester -Configuration $configuration

# Skipped or not-run tests count as failures: a suite that silently skips proves nothing.
[pscustomobject]@{
    Passed = $result.PassedCount
    Failed = $result.FailedCount + $result.SkippedCount + $result.NotRunCount + $result.FailedBlocksCount + $result.FailedContainersCount
} | ConvertTo-Json | Set-Content $SummaryPath
