BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Set-AdminProfileFile
    $bucket = New-TestName 'sds-data-dev'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket
    'imap/mag/a.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $bucket
    $packages = $env:S3R_PACKAGE_FOLDER
}

Describe 'The package build.ps1 Package makes' {
    It 'is one nupkg of this version' {
        $version = (Import-PowerShellDataFile (Join-Path $ModulePath 'S3Replication.psd1')).ModuleVersion
        (Get-ChildItem $packages -Filter '*.nupkg').Name | Should -Be "S3Replication.$version.nupkg"
    }

    It 'has a manifest Test-ModuleManifest accepts, but for the cmdlet assembly named as a nested module' {
        $info = Test-ModuleManifest (Join-Path $ModulePath 'S3Replication.psd1') -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.FullyQualifiedErrorId | Should -Be @('Modules_InvalidNestedModuleinModuleManifest,Microsoft.PowerShell.Commands.TestModuleManifestCommand')
        $problems.Exception.Message | Should -BeLike "*'S3Replication, Culture=neutral, PublicKeyToken=null'*"
        $info.Version | Should -Be (Import-PowerShellDataFile (Join-Path $ModulePath 'S3Replication.psd1')).ModuleVersion
        $info.CompatiblePSEditions | Should -Be @('Core', 'Desktop')
    }

    It 'saves from a folder repository with Save-PSResource, imports in a fresh pwsh, and works' {
        $repository = "S3Replication-test-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        Register-PSResourceRepository -Name $repository -Uri $packages -Trusted
        $null = New-Item -ItemType Directory (Join-Path $TestDrive 'modules')
        try { Save-PSResource -Name S3Replication -Repository $repository -Path (Join-Path $TestDrive 'modules') -TrustRepository }
        finally { Unregister-PSResourceRepository -Name $repository }

        $installed = Get-ChildItem (Join-Path $TestDrive 'modules/S3Replication') -Directory | Select-Object -First 1
        Test-Path (Join-Path $installed.FullName 'dependencies/AWSSDK.Core.dll') | Should -BeTrue
        $env:PSModulePath = (Join-Path $TestDrive 'modules') + [IO.Path]::PathSeparator + $env:PSModulePath
        try {
            $report = & dotnet pwsh -NoProfile -NonInteractive -Command "
                `$ErrorActionPreference = 'Stop'
                Import-Module S3Replication
                `$module = Get-Module S3Replication
                '{0}|{1}|{2}' -f `$module.ModuleBase, (Get-Command -Module S3Replication).Count, (Get-S3BackupObject -Bucket $bucket -ProfileName admin).Key
            " 2>&1
        }
        finally { $env:PSModulePath = $env:PSModulePath.Substring($env:PSModulePath.IndexOf([IO.Path]::PathSeparator) + 1) }
        $base, $count, $keys = ($report | Select-Object -Last 1) -split '\|'
        $base | Should -Be $installed.FullName
        [int]$count | Should -Be (Import-PowerShellDataFile (Join-Path $ModulePath 'S3Replication.psd1')).CmdletsToExport.Count
        $keys | Should -Be 'imap/mag/a.cdf'
    }
}
