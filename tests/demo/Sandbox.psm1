#Requires -Version 7.4
<#
    build.ps1 Sandbox: a local S3 server (tests/s3server/LocalS3.psm1) that keeps running after build.ps1 exits, set up
    as the runbook leaves things (RunbookFixture.psm1), with profile files of its own to try the module on.
    A sandbox belongs to a folder (build.ps1 uses out/sandbox): its profile files are there, and the server's own
    folder in the temp folder names it, so starting a second time finds the first and Stop finds what to stop.
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../s3server/LocalS3.psm1')
Import-Module (Join-Path $PSScriptRoot 'RunbookFixture.psm1')

# In the server's folder: which sandbox folder it serves, and the profile files it wrote there.
$script:SandboxFile = 'sandbox.json'

function Get-S3Sandbox {
    <# .SYNOPSIS The servers started for the sandbox in -Folder, with their profile files and whether they still run. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Folder)
    $Folder = [IO.Path]::GetFullPath($Folder)
    foreach ($server in Get-LocalS3Sandbox) {
        $sandboxFile = Join-Path $server.Root $script:SandboxFile
        if (-not (Test-Path $sandboxFile)) { continue }
        $sandbox = Get-Content $sandboxFile -Raw | ConvertFrom-Json
        if ($sandbox.Folder -cne $Folder) { continue }
        $sandbox | Add-Member -NotePropertyMembers @{ Server = $server; Running = (Test-LocalS3Running $server) } -PassThru
    }
}

function Start-S3Sandbox {
    <#
    .SYNOPSIS
        Starts the sandbox of -Folder unless it runs already, and says how to use it and how to stop it.
    .DESCRIPTION
        The server has the runbook's buckets (sds-data-dev and sds-data-dev-backup, versioned, instrument files under
        imap/<instrument>/l1a/2025/01/), the backup role, the operator and the replication rule; the profiles imap,
        backup-role and source-admin go to <Folder>/aws/config and <Folder>/aws/credentials. The server's keys are
        written to that credentials file only, never to the console. Returns the sandbox's record.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Folder,
        # The published module (out/S3Replication) the printed Import-Module line names.
        [Parameter(Mandatory)] [string] $ModulePath,
        # The command that stops it, as the caller runs it (printed last).
        [Parameter(Mandatory)] [string] $StopCommand
    )
    $Folder = [IO.Path]::GetFullPath($Folder)
    $ModulePath = [IO.Path]::GetFullPath($ModulePath)
    $running = @(Get-S3Sandbox -Folder $Folder | Where-Object Running)
    if ($running) {
        $sandbox = $running[0]
        Write-Host "A sandbox is already running for $Folder at $($sandbox.Endpoint) (its server's folder: $($sandbox.Server.Root))."
        Write-S3SandboxUsage $sandbox $StopCommand
        return $sandbox
    }
    foreach ($broken in Get-S3Sandbox -Folder $Folder) {
        # Some of its daemons are gone (killed, or out of memory): what is left of it is stopped, and a new one starts.
        Write-Host "The sandbox at $($broken.Endpoint) is not running any more; stopping what is left of it and starting a new one."
        Stop-LocalS3 $broken.Server
    }

    $server = Start-LocalS3 -Sandbox -NoDelay
    # finally, not catch: a Ctrl+C stops the pipeline without running catch blocks, and a server nobody can find is left.
    $ready = $false
    try {
        $fixture = New-RunbookFixture -Server $server -ModulePath $ModulePath -ProfileFolder (Join-Path $Folder 'aws') -RunbookDone
        $sandbox = [pscustomobject]@{
            Folder = $Folder; Endpoint = $server.Endpoint; ConfigFile = $fixture.ConfigFile; CredentialsFile = $fixture.CredentialsFile
            ModulePath = $ModulePath; Started = [DateTime]::UtcNow.ToString('o')
        }
        # Written last: a server without it is not a sandbox anyone can find, and a failed start leaves none.
        $sandbox | ConvertTo-Json | Set-Content (Join-Path $server.Root $script:SandboxFile)
        $ready = $true
    }
    finally {
        if (-not $ready) { Stop-LocalS3 $server }
    }
    Write-Host "Sandbox running at $($server.Endpoint) (started in $($server.StartSeconds) s; its server's folder: $($server.Root)):"
    $fixture.Description | ForEach-Object { Write-Host "    $_" }
    $sandbox | Add-Member -NotePropertyMembers @{ Server = $server; Running = $true }
    Write-S3SandboxUsage $sandbox $StopCommand
    $sandbox
}

function Write-S3SandboxUsage($Sandbox, [string] $StopCommand) {
    # The SDK reads AWS_CONFIG_FILE once per process, at its first use: hence a new pwsh, with the variables set first.
    function Quote([string] $Text) { "'" + ($Text -replace "'", "''") + "'" }
    $use = "`$env:AWS_CONFIG_FILE = $(Quote $Sandbox.ConfigFile); `$env:AWS_SHARED_CREDENTIALS_FILE = $(Quote $Sandbox.CredentialsFile); " +
        "Import-Module $(Quote $Sandbox.ModulePath); Connect-S3Backup -ProfileName backup-role"
    Write-Host "Use it in a new pwsh: $use"
    Write-Host "Stop it: $StopCommand"
}

function Stop-S3Sandbox {
    <#
    .SYNOPSIS
        Stops the sandbox of -Folder (its daemons, by their recorded and checked PIDs) and removes its profile files.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Folder)
    $Folder = [IO.Path]::GetFullPath($Folder)
    $sandboxes = @(Get-S3Sandbox -Folder $Folder)
    if (-not $sandboxes) { Write-Host "No sandbox is running for $Folder." }
    foreach ($sandbox in $sandboxes) {
        Stop-LocalS3 $sandbox.Server
        # Its profiles name an endpoint that is gone now: the two files it wrote go too, nothing else of the folder.
        Remove-Item $sandbox.ConfigFile, $sandbox.CredentialsFile -Force -ErrorAction Ignore
        $profileFolder = Split-Path $sandbox.ConfigFile
        if (-not (Get-ChildItem $profileFolder -Force -ErrorAction Ignore)) { Remove-Item $profileFolder -Force -ErrorAction Ignore }
        Write-Host "Stopped the sandbox at $($sandbox.Endpoint)."
    }
}

Export-ModuleMember -Function Get-S3Sandbox, Start-S3Sandbox, Stop-S3Sandbox
