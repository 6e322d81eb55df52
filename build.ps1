#Requires -Version 7.4

<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks S3Replication.
.DESCRIPTION
    Build  publishes the module to out/S3Replication (Import-Module ./out/S3Replication).
    Test   builds and packs, starts a private local S3 server (Ceph RGW), runs xunit and every Pester suite (each in a fresh
           pwsh against the published module), stops the server and prints "N passed, N failed".
           -Suite Restore,Trust runs only those Pester suites (tests/pester/<Suite>.Tests.ps1), without xunit.
    UnitTest runs the xunit tests alone (no server).
    Every report (trx, JUnit, the reliability figures) goes under out/test-results; no tracked file is rewritten.
    The module version is the manifest's ModuleVersion, stamped into every assembly at build time.
    Demo   builds, starts the local S3 server and walks the backup runbook against it, then a bad day: a processing run
           gone wrong, its forensics, the rollback to the moment before it and the undo of that rollback.
    Sandbox builds and starts a local S3 server that keeps running after build.ps1 exits, to try the module on: the
           runbook's versioned buckets with instrument files, replication rule, backup role and operator, and the
           profiles imap, backup-role and source-admin in out/sandbox/aws (never ~/.aws). It ends with the line to paste
           into a new pwsh and the command that stops it. Run again, it says where the running one is.
           -Stop stops it (its daemons by their recorded PIDs) and removes its profile files.
           -SandboxFolder runs another sandbox beside it, with its files in that folder.
    Demo and Sandbox with -NoBuild use the module already in out/S3Replication.
    Package builds and packs the module into out/packages/S3Replication.<version>.nupkg, which Install-PSResource
           and Save-PSResource install from a folder repository.
    Bench  builds and measures the module against its peers on a fresh local server; writes bench/RESULTS.md.
           -Runs and -ObjectCount override the bench's defaults (3 runs, 2,000 objects); -Only Restore measures the
           module's own restore and no-op re-sync alone, a quick check whose RESULTS.md is not one to keep; -Only Planning
           measures the "Planning at scale" section alone (2 x 500,000 keys on the listing stand-in, peers, S3 Inventory
           files) and replaces just that section of bench/RESULTS.md; -Only Verify measures the "Verifying the backup"
           section alone (Test-S3BackupReplication's replication-status sample and Compare-S3BackupBucket -CompareBy
           ComputedChecksum against the aws CLI and rclone) and replaces just that section.
           -Baseline <git revision> also builds the module at that revision (with that revision's own build.ps1) into
           out/bench-baseline/S3Replication and measures its in-session restore in the same runs, alternately with this one.
    Profile builds and profiles the client CPU of a 20,000-object in-session restore (perf, the runtime's perf map);
           writes bench/PROFILE.md. -ObjectCount overrides the count; -Baseline <git revision> profiles that build beside this one.
    Missing tools are installed: Pester from NuGet into out/tools, the Ceph packages through apt (as root).
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Test
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Sandbox
    Starts the sandbox and prints how to use it; dotnet pwsh ./build.ps1 Sandbox -Stop stops it.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'UnitTest', 'Demo', 'Sandbox', 'Bench', 'Profile', 'Package')]
    [string] $Task = 'Build',

    # With Test: only these Pester suites (file names without .Tests.ps1), e.g. -Suite Restore.
    [string[]] $Suite,

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # With Bench: runs per scenario; without it, the bench's own default.
    [int] $Runs,

    # With Bench or Profile: objects in the restore scenarios; without it, the script's own default.
    [int] $ObjectCount,

    # With Bench: Restore measures only the module's own restore and no-op re-sync (no peers, ceiling, throttling, ...);
    # Planning only the planning-at-scale section; Verify only the verifying-the-backup section.
    [ValidateSet('Restore', 'Planning', 'Verify')]
    [string] $Only,

    # With Bench or Profile: a git revision (e.g. 0f2bcbc) whose module is measured beside this one, in the same runs.
    [string] $Baseline,

    # With Sandbox: stop the sandbox instead of starting it.
    [switch] $Stop,

    # With Sandbox: the folder the sandbox belongs to (its profile files go there); default out/sandbox.
    [string] $SandboxFolder,

    # With Demo or Sandbox: use the module already built in out/S3Replication instead of building it.
    [switch] $NoBuild
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'S3Replication'
$ToolsOut = Join-Path $Out 'tools'
$PackageOut = Join-Path $Out 'packages'
$PesterVersion = '5.7.1'
$TestResults = Join-Path $Out 'test-results'
$ModuleVersion = (Import-PowerShellDataFile (Join-Path $Root 'S3Replication.psd1')).ModuleVersion
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
if ([Console]::IsOutputRedirected) {
    # Logs (CI, tee) get plain text; child pwsh processes follow NO_COLOR.
    $env:NO_COLOR = '1'
    $PSStyle.OutputRendering = 'PlainText'
}

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

function Invoke-Native([string] $What, [scriptblock] $Command) {
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Invoke-Build {
    Write-Step "Building the module ($Configuration) into $ModuleOut"
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    # Layout: the manifest, the two loader assemblies, formats and help at the top; the cmdlet assembly, the AWS SDK
    # and the other dependencies under dependencies/, where only the module's own load context looks for them (a
    # cmdlet assembly at the top would be found by its name and loaded into the default context).
    $staging = Join-Path $Root 'out/staging'
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    Invoke-Native 'dotnet publish' { dotnet publish (Join-Path $Root 'src/S3Replication') -c $Configuration -o (Join-Path $staging 'module') --nologo -v quiet "-p:Version=$ModuleVersion" }
    $dependencies = New-Item -ItemType Directory -Force (Join-Path $ModuleOut 'dependencies')
    foreach ($loader in 'S3Replication.Loader', 'S3Replication.LoadContext') {
        Invoke-Native 'dotnet publish' { dotnet publish (Join-Path $Root "src/$loader") -c $Configuration -o (Join-Path $staging 'loader') --nologo -v quiet "-p:Version=$ModuleVersion" }
        Move-Item (Join-Path $staging "loader/$loader.dll") $ModuleOut
    }
    Get-ChildItem (Join-Path $staging 'module') -File | Where-Object Extension -In '.dll', '.pdb' | Move-Item -Destination $dependencies
    Get-ChildItem (Join-Path $staging 'module') | Where-Object Extension -NE '.json' | Move-Item -Destination $ModuleOut
    Remove-Item $staging -Recurse -Force
    Write-Step 'Building cmdlet help from docs/en-US'
    # A fresh process: the help builder imports the module, and a binary module cannot be unloaded.
    Invoke-Native 'Building help' { dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'docs/Build-Help.ps1') -ModulePath $ModuleOut }
}

function Invoke-Package {
    Invoke-Build
    Write-Step "Packing the module into $PackageOut"
    if (Test-Path $PackageOut) { Remove-Item $PackageOut -Recurse -Force }
    $null = New-Item -ItemType Directory $PackageOut
    # Publish-PSResource packs into a registered repository; a throw-away registration keeps the user's list as it was.
    $repository = "S3Replication-build-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
    Register-PSResourceRepository -Name $repository -Uri $PackageOut -Trusted
    # Test-ModuleManifest cannot resolve the cmdlet assembly's nested-module entry (an assembly name; see the manifest),
    # so Publish-PSResource's run of it is skipped; tests/pester/Package.Tests.ps1 checks the manifest's contents instead.
    try { Publish-PSResource -Path $ModuleOut -Repository $repository -SkipDependenciesCheck -SkipModuleManifestValidate }
    finally { Unregister-PSResourceRepository -Name $repository }
    Get-ChildItem $PackageOut -Filter '*.nupkg' | ForEach-Object { Write-Host "    $($_.FullName)" }
}

function Install-Pester {
    $manifest = Join-Path $ToolsOut "pester/$PesterVersion/tools/Pester.psd1"
    if (Test-Path $manifest) { return $manifest }
    Write-Step "Fetching Pester $PesterVersion from NuGet into $ToolsOut"
    $project = Join-Path $ToolsOut 'fetch-pester'
    $null = New-Item -ItemType Directory -Force $project
    @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PesterVersion]" /></ItemGroup>
</Project>
"@ | Set-Content (Join-Path $project 'fetch-pester.csproj')
    # An empty Directory.*.props beside the project keeps the repository's central package settings out of it.
    '<Project />' | Set-Content (Join-Path $project 'Directory.Build.props')
    '<Project />' | Set-Content (Join-Path $project 'Directory.Packages.props')
    Invoke-Native 'Fetching Pester' { dotnet restore (Join-Path $project 'fetch-pester.csproj') --packages $ToolsOut -v quiet }
    if (-not (Test-Path $manifest)) { throw "Pester $PesterVersion was restored but $manifest is missing." }
    $manifest
}

function Invoke-XunitTests {
    Write-Step 'Running xunit tests'
    $trx = Join-Path $TestResults 'xunit.trx'
    if (Test-Path $trx) { Remove-Item $trx }
    dotnet test (Join-Path $Root 'tests/S3Replication.Tests') -c $Configuration --nologo "-p:Version=$ModuleVersion" `
        --logger 'console;verbosity=minimal' --logger "trx;LogFileName=$trx" --results-directory $TestResults | Out-Host
    if (-not (Test-Path $trx)) { throw 'xunit produced no results file: the test project did not build or run.' }
    $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
    [pscustomobject]@{ Suite = 'xunit'; Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted }
}

function Get-PesterSuite {
    $files = @(Get-ChildItem (Join-Path $Root 'tests/pester') -Filter '*.Tests.ps1' | Sort-Object Name)
    if (-not $Suite) { return $files }
    # From a shell (dotnet pwsh ./build.ps1 Test -Suite Restore,Trust) the list arrives as one string.
    foreach ($name in $Suite -split ',' | ForEach-Object Trim | Where-Object { $_ }) {
        $file = $files | Where-Object { $_.Name -eq "$name.Tests.ps1" }
        if (-not $file) { throw "No Pester suite '$name': the suites are $(($files.Name -replace '\.Tests\.ps1$') -join ', ')." }
        $file
    }
}

function Invoke-PesterSuites([string] $PesterManifest, [string] $ServerFile) {
    $runner = Join-Path $Root 'tests/pester/Invoke-PesterFile.ps1'
    foreach ($file in Get-PesterSuite) {
        Write-Step "Running Pester suite $($file.Name) in a fresh pwsh"
        $summary = Join-Path $TestResults "$($file.BaseName).json"
        if (Test-Path $summary) { Remove-Item $summary }
        & dotnet pwsh -NoProfile -NonInteractive -File $runner -Path $file.FullName -PesterManifest $PesterManifest `
            -ModulePath $ModuleOut -ServerFile $ServerFile -SummaryPath $summary | Out-Host
        if (-not (Test-Path $summary)) {
            [pscustomobject]@{ Suite = $file.Name; Passed = 0; Failed = 1 }
            continue
        }
        $result = Get-Content $summary -Raw | ConvertFrom-Json
        [pscustomobject]@{ Suite = $file.Name; Passed = [int]$result.Passed; Failed = [int]$result.Failed }
    }
}

function Write-Summary($Results) {
    $Results | Format-Table -AutoSize | Out-Host
    $passed = ($Results | Measure-Object Passed -Sum).Sum
    $failed = ($Results | Measure-Object Failed -Sum).Sum
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-UnitTest {
    $null = New-Item -ItemType Directory -Force $TestResults
    Write-Summary @(Invoke-XunitTests)
}

function Invoke-Test {
    $null = Get-PesterSuite   # an unknown -Suite fails before anything is built
    Invoke-Package
    $null = New-Item -ItemType Directory -Force $TestResults
    $env:S3R_PACKAGE_FOLDER = $PackageOut
    Write-Step 'Building the fault-injecting proxy the reliability suite puts between the module and the server'
    $proxyOut = Join-Path $Out 'faultproxy'
    Invoke-Native 'Building the fault proxy' { dotnet build (Join-Path $Root 'tests/S3Replication.FaultProxy') -c $Configuration -o $proxyOut --nologo -v quiet }
    $env:S3R_FAULT_PROXY = Join-Path $proxyOut 'S3Replication.FaultProxy.dll'
    $env:S3R_RELIABILITY_REPORT = Join-Path $TestResults 'RELIABILITY.md'
    $pester = Install-Pester
    Import-Module (Join-Path $Root 'tests/s3server/LocalS3.psm1') -Force
    # The second real server, for what the Ceph server lacks (additional checksums, GetCallerIdentity, web identity).
    $moto = Get-Command moto_server -ErrorAction Ignore
    if ($moto) { Write-Step "moto_server found at $($moto.Source): the Checksums and SignIn suites start their own on loopback" }
    else { Write-Warning 'moto_server is MISSING (pip package moto[server]): the Checksums and SignIn suites will fail, not skip.' }
    $results = [System.Collections.Generic.List[object]]::new()
    if (-not $Suite) { $results.AddRange(@(Invoke-XunitTests)) }

    Write-Step 'Starting the local S3 server (Ceph RGW on 127.0.0.1)'
    $server = Start-LocalS3
    Write-Host "    $($server.Endpoint) ready in $($server.StartSeconds) s"
    try {
        $results.AddRange(@(Invoke-PesterSuites $pester (Join-Path $server.Root 'server.json')))
    }
    finally {
        Write-Step 'Stopping the local S3 server'
        Stop-LocalS3 $server
    }

    Write-Summary $results
}

# Builds the module, or with -NoBuild checks that a build is there.
function Use-BuiltModule {
    if (-not $NoBuild) { Invoke-Build }
    elseif (Test-Path (Join-Path $ModuleOut 'S3Replication.psd1')) { Write-Step "Using the module already built in $ModuleOut" }
    else { throw "-NoBuild: no module in $ModuleOut; run without -NoBuild to build it." }
}

function Invoke-Demo {
    Use-BuiltModule
    Import-Module (Join-Path $Root 'tests/s3server/LocalS3.psm1') -Force
    Write-Step 'Starting the local S3 server (Ceph RGW on 127.0.0.1)'
    # tcp_nodelay: the demo makes hundreds of small requests one after another, each ~44 ms slower without it.
    $server = Start-LocalS3 -NoDelay
    Write-Host "    $($server.Endpoint) ready in $($server.StartSeconds) s"
    try {
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tests/demo/Invoke-Demo.ps1') -ModulePath $ModuleOut -ServerFile (Join-Path $server.Root 'server.json')
        if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
    }
    finally {
        Write-Step 'Stopping the local S3 server'
        Stop-LocalS3 $server
    }
}

function Invoke-Sandbox {
    $folder = if ($SandboxFolder) { [IO.Path]::GetFullPath($SandboxFolder) } else { Join-Path $Out 'sandbox' }
    Import-Module (Join-Path $Root 'tests/demo/Sandbox.psm1') -Force
    if ($Stop) { return Stop-S3Sandbox -Folder $folder }
    # A running sandbox is only pointed at: rebuilding would replace the module under a session that has it loaded.
    if (-not (Get-S3Sandbox -Folder $folder | Where-Object Running)) { Use-BuiltModule }
    # The command as typed from here; dotnet finds pwsh through the repository's tool manifest, so from its folder.
    $stopCommand = "dotnet pwsh ./build.ps1 Sandbox -Stop" + $(if ($SandboxFolder) { " -SandboxFolder '$folder'" } else { '' })
    if ((Get-Location).Path -ne $Root) { $stopCommand = "cd '$Root'; $stopCommand" }
    Write-Step "The sandbox of $folder (a local Ceph RGW on 127.0.0.1 that keeps running)"
    $null = Start-S3Sandbox -Folder $folder -ModulePath $ModuleOut -StopCommand $stopCommand
}

function Resolve-Commit([string] $Revision) {
    $commit = git -C $Root rev-parse --verify --quiet "$Revision^{commit}"
    if ($LASTEXITCODE -ne 0 -or -not $commit) { throw "-Baseline '$Revision' is not a commit in this repository." }
    $commit
}

# Builds the module as it was at a commit, with that commit's own build.ps1 (its layout and build steps, not today's),
# from a temporary export of the commit under out/; returns the published folder and the short revision.
function Build-BaselineModule([string] $Commit) {
    $short = git -C $Root rev-parse --short $Commit
    $baselineOut = Join-Path $Out 'bench-baseline'
    $baselineModule = Join-Path $baselineOut 'S3Replication'
    # An export rather than a worktree: the repository's shared worktree list is left as it was.
    $checkout = Join-Path $baselineOut "source-$short"
    $archive = Join-Path $baselineOut "source-$short.tar"
    if (Test-Path $baselineOut) { Remove-Item $baselineOut -Recurse -Force }
    $null = New-Item -ItemType Directory -Force $checkout
    Write-Step "Building the baseline module at $short (its own build.ps1) into $baselineModule"
    try {
        Invoke-Native 'git archive' { git -C $Root archive --format=tar -o $archive $Commit }
        Invoke-Native 'tar' { tar -xf $archive -C $checkout }
        Push-Location $checkout
        # To the console, not into this function's result.
        try { Invoke-Native "Building the module at $short" { dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 Build -Configuration $Configuration | Out-Host } }
        finally { Pop-Location }
        Move-Item (Join-Path $checkout 'out/S3Replication') $baselineModule
    }
    finally {
        Remove-Item $checkout, $archive -Recurse -Force -ErrorAction Ignore
    }
    [pscustomobject]@{ ModulePath = $baselineModule; Revision = $short }
}

# Builds the module (and the -Baseline revision's, if given) and runs a measuring script of bench/ on them, which
# writes its report to $Results.
function Invoke-Measurement([string] $Script, [string] $Results, [string[]] $Arguments, [string] $What) {
    # A revision that does not resolve fails before anything is built.
    $baselineCommit = if ($Baseline) { Resolve-Commit $Baseline }
    Invoke-Build
    $scriptArguments = @('-ModulePath', $ModuleOut, '-ResultsPath', (Join-Path $Root $Results))
    if ($baselineCommit) {
        $baselineBuild = Build-BaselineModule $baselineCommit
        $scriptArguments += '-BaselineModulePath', $baselineBuild.ModulePath, '-BaselineRevision', $baselineBuild.Revision
    }
    # Only what was given (not 0 or empty) is passed on, so the scripts' own defaults stay the one place they are set.
    if ($ObjectCount) { $scriptArguments += '-ObjectCount', $ObjectCount }
    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root $Script) @scriptArguments @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Invoke-Bench {
    $benchArguments = @()
    if ($Runs) { $benchArguments += '-Runs', $Runs }
    if ($Only) { $benchArguments += '-Only', $Only }
    Invoke-Measurement 'bench/Invoke-Bench.ps1' 'bench/RESULTS.md' $benchArguments 'The benchmark'
}

function Invoke-Profile { Invoke-Measurement 'bench/Invoke-Profile.ps1' 'bench/PROFILE.md' @() 'Profiling' }

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'UnitTest' { Invoke-UnitTest }
    'Demo' { Invoke-Demo }
    'Sandbox' { Invoke-Sandbox }
    'Bench' { Invoke-Bench }
    'Profile' { Invoke-Profile }
    'Package' { Invoke-Package }
}
