# What the benchmark (Invoke-Bench.ps1) and the profile (Invoke-Profile.ps1) set up alike: the backup they restore from
# and the profile the module reads it with.
Set-StrictMode -Version Latest

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

<# .SYNOPSIS The key of backup object number $Index: spread over 3 years and 12 months, as an instrument's files are. #>
function Get-BenchKey([int] $Index) {
    'imap/mag/l1a/{0:D4}/{1:D2}/imap_mag_l1a_norm-mago_{2:D6}_v001.cdf' -f (2025 + $Index % 3), ($Index % 12 + 1), $Index
}

<# .SYNOPSIS The versioned bucket "backup" with $ObjectCount objects of 1 KiB, keys 1 to $ObjectCount. #>
function New-BenchBackup($Server, [string] $ModulePath, [int] $ObjectCount) {
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name backup -Versioned
    1..$ObjectCount | ForEach-Object { Get-BenchKey $_ } | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket backup -Content ('x' * 1024)
}

<#
.SYNOPSIS
    The profile "bench" for $Server in a credentials and a config file under $Folder (the checksum settings an
    S3-compatible server needs), made the process's AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.
#>
function Set-BenchProfile($Server, [string] $Folder) {
    $null = New-Item -ItemType Directory -Force $Folder
    [IO.File]::WriteAllText((Join-Path $Folder 'credentials'), "[bench]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n")
    [IO.File]::WriteAllText((Join-Path $Folder 'config'), "[profile bench]`nendpoint_url = $($Server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n")
    $env:AWS_CONFIG_FILE = Join-Path $Folder 'config'
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $Folder 'credentials'
}

# A config and a credentials file holding these profiles (name -> Endpoint, AccessKey, SecretKey), made this process's
# AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, so the fresh pwsh of each measured command reads them.
function Set-BenchProfileFile([string] $Folder, [Collections.IDictionary] $Profiles) {
    $null = New-Item -ItemType Directory -Force $Folder
    $config = foreach ($name in $Profiles.Keys) {
        "[profile $name]`nendpoint_url = $($Profiles[$name].Endpoint)`nregion = us-east-1`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
    }
    $credentials = foreach ($name in $Profiles.Keys) { "[$name]`naws_access_key_id = $($Profiles[$name].AccessKey)`naws_secret_access_key = $($Profiles[$name].SecretKey)`n" }
    [IO.File]::WriteAllText((Join-Path $Folder 'config'), ($config -join ''))
    [IO.File]::WriteAllText((Join-Path $Folder 'credentials'), ($credentials -join ''))
    $env:AWS_CONFIG_FILE = Join-Path $Folder 'config'
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $Folder 'credentials'
}

# Sets (or with $null, removes) environment variables; returns what they were, for Set-Environment to put back.
# Through the Env: drive: a $null passed to [Environment]::SetEnvironmentVariable would become an empty string.
function Set-Environment([hashtable] $Values) {
    $saved = @{}
    foreach ($entry in $Values.GetEnumerator()) {
        $saved[$entry.Key] = (Get-Item "Env:$($entry.Key)" -ErrorAction Ignore)?.Value
        if ($null -eq $entry.Value) { Remove-Item "Env:$($entry.Key)" -ErrorAction Ignore } else { Set-Item "Env:$($entry.Key)" $entry.Value }
    }
    $saved
}

# CPU time, in ms, of this process's waited-for children and theirs (cutime + cstime of /proc/self/stat, 100 ticks a second).
function Get-ChildCpuMs { $fields = (Get-Content /proc/self/stat -Raw) -replace '^.*\) ', '' -split ' '; ([long]$fields[13] + [long]$fields[14]) * 10 }

Export-ModuleMember -Function Write-Step, Get-BenchKey, New-BenchBackup, Set-BenchProfile, Set-BenchProfileFile, Set-Environment, Get-ChildCpuMs
