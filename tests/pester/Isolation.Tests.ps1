BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Set-AdminProfileFile
    $bucket = New-TestName 'sds-data-dev'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket
    'imap/mag/a.cdf', 'imap/mag/b.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $bucket

    # A module like AWS.Tools, built against each AWSSDK.Core line S3Replication must live beside.
    $ourCoreVersion = [Diagnostics.FileVersionInfo]::GetVersionInfo((Join-Path $ModulePath 'dependencies/AWSSDK.Core.dll')).FileVersion
    $conflicting = @{}
    foreach ($version in '3.7.402', '4.0.3.3') {
        $project = New-Item -ItemType Directory -Force (Join-Path $TestDrive "conflicting-$version")
        Copy-Item (Join-Path $PSScriptRoot '../conflict/ConflictingSdk.csproj'), (Join-Path $PSScriptRoot '../conflict/GetConflictingSdkCommand.cs') $project
        $output = Join-Path $project 'out'
        $log = dotnet publish (Join-Path $project 'ConflictingSdk.csproj') -c Release "-p:AwsCoreVersion=$version" -o $output --nologo -v quiet 2>&1
        if ($LASTEXITCODE -ne 0) { throw "Building the conflicting module with AWSSDK.Core $version failed: $log" }
        $conflicting[$version] = Join-Path $output 'ConflictingSdk.dll'
    }

    function Invoke-BothModules([string] $Version, [string] $Order) {
        $json = & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot '../conflict/Use-BothModules.ps1') `
            -ConflictingModule $conflicting[$Version] -ModulePath $ModulePath -Order $Order -Bucket $bucket 2>&1
        if ($LASTEXITCODE -ne 0) { throw "The session with both modules failed: $json" }
        $json | Select-Object -Last 1 | ConvertFrom-Json
    }
}

Describe 'S3Replication beside a module with another AWSSDK.Core' {
    It 'works with AWSSDK.Core <Version> loaded <Order>' -ForEach @(
        @{ Version = '3.7.402'; Order = 'ConflictingFirst' }
        @{ Version = '3.7.402'; Order = 'S3ReplicationFirst' }
        @{ Version = '4.0.3.3'; Order = 'ConflictingFirst' }
        @{ Version = '4.0.3.3'; Order = 'S3ReplicationFirst' }
    ) {
        $result = Invoke-BothModules $Version $Order
        $result.OursListed | Should -Be @('imap/mag/a.cdf', 'imap/mag/b.cdf')
        $result.OurCore | Should -Be $ourCoreVersion -Because 'S3Replication runs on the SDK it was built with'
        $result.TheirsBefore | Should -BeLike "$Version*"
        $result.TheirsAfter | Should -BeLike "$Version*" -Because 'the other module keeps its own SDK'
        $result.TheirsWork | Should -BeTrue
        $result.DefaultCore | Should -Be @($result.TheirsAfter) -Because 'only the other module''s SDK is in the default load context'
    }

    It 'imports this build by path while another version is installed on PSModulePath' {
        $installed = Join-Path $TestDrive 'modules/S3Replication/0.0.9'
        $null = New-Item -ItemType Directory -Force (Split-Path $installed)
        Copy-Item $ModulePath $installed -Recurse
        $manifest = Join-Path $installed 'S3Replication.psd1'
        (Get-Content $manifest -Raw) -replace "ModuleVersion\s*=\s*'[^']+'", "ModuleVersion = '0.0.9'" | Set-Content $manifest
        $env:PSModulePath = (Join-Path $TestDrive 'modules') + [IO.Path]::PathSeparator + $env:PSModulePath
        try {
            $report = & dotnet pwsh -NoProfile -NonInteractive -Command "
                `$ErrorActionPreference = 'Stop'
                Import-Module '$(Join-Path $ModulePath 'S3Replication.psd1')'
                `$assembly = (Get-Command Get-S3BackupObject).ImplementingType.Assembly
                [pscustomobject]@{
                    Modules = @(Get-Module S3Replication | ForEach-Object ModuleBase)
                    Nested = @((Get-Module S3Replication).NestedModules | ForEach-Object Path)
                    Cmdlets = `$assembly.Location
                    Context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$assembly).Name
                    Listed = @((Get-S3BackupObject -Bucket $bucket -ProfileName admin).Key)
                } | ConvertTo-Json -Compress
            " 2>&1
        }
        finally { $env:PSModulePath = $env:PSModulePath.Substring($env:PSModulePath.IndexOf([IO.Path]::PathSeparator) + 1) }
        $result = $report | Select-Object -Last 1 | ConvertFrom-Json
        $result.Modules | Should -Be @((Resolve-Path $ModulePath).Path)
        $result.Nested | ForEach-Object { $_ | Should -BeLike "$((Resolve-Path $ModulePath).Path)*" }
        $result.Cmdlets | Should -Be (Join-Path (Resolve-Path $ModulePath).Path 'dependencies/S3Replication.dll')
        $result.Context | Should -Be 'S3Replication'
        $result.Listed | Should -Be @('imap/mag/a.cdf', 'imap/mag/b.cdf')
    }

    It 'keeps every cmdlet on Import-Module -Force' {
        $module = Import-Module (Join-Path $ModulePath 'S3Replication.psd1') -Force -PassThru
        $module.ExportedCmdlets.Count | Should -Be (Import-PowerShellDataFile (Join-Path $ModulePath 'S3Replication.psd1')).CmdletsToExport.Count
        (Get-S3BackupObject -Bucket $bucket -ProfileName admin).Count | Should -Be 2
    }
}
