#Requires -Version 7.4
<#
    Run in a fresh pwsh by Isolation.Tests.ps1: imports S3Replication and a module with another AWSSDK.Core in the
    given order, uses both (a real S3 listing for S3Replication), and reports what each ran on as JSON.
#>
param(
    [Parameter(Mandatory)] [string] $ConflictingModule,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [ValidateSet('ConflictingFirst', 'S3ReplicationFirst')] [string] $Order,
    [Parameter(Mandatory)] [string] $Bucket
)
$ErrorActionPreference = 'Stop'
function Import-Ours { Import-Module (Join-Path $ModulePath 'S3Replication.psd1') }
function Import-Theirs { Import-Module $ConflictingModule }

if ($Order -eq 'ConflictingFirst') { Import-Theirs; $theirsBefore = Get-ConflictingSdk; Import-Ours }
else { Import-Ours; $null = Get-S3BackupObject -Bucket $Bucket -ProfileName admin; Import-Theirs; $theirsBefore = Get-ConflictingSdk }

$listed = @(Get-S3BackupObject -Bucket $Bucket -ProfileName admin)
$ourCore = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'S3Replication' |
    ForEach-Object Assemblies | Where-Object { $_.GetName().Name -eq 'AWSSDK.Core' }
[pscustomobject]@{
    TheirsBefore = $theirsBefore.FileVersion
    TheirsAfter  = (Get-ConflictingSdk).FileVersion
    TheirsWork   = (Get-ConflictingSdk).Works
    OursListed   = $listed.Key
    OurCore      = [Diagnostics.FileVersionInfo]::GetVersionInfo($ourCore.Location).FileVersion
    DefaultCore  = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AWSSDK.Core' -and
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_) -eq [System.Runtime.Loader.AssemblyLoadContext]::Default }).ForEach({
            [Diagnostics.FileVersionInfo]::GetVersionInfo($_.Location).FileVersion })
} | ConvertTo-Json -Compress
