<#
    The examples the project ships, read from the files themselves so that a new one is picked up without a test change:
    each code block under "## EXAMPLES" in docs/en-US/<Cmdlet>.md (what docs/Build-Help.ps1 turns into Get-Help
    examples) and each .EXAMPLE of the scripts under examples/ (their comment-based help).
#>
Set-StrictMode -Version Latest

function Get-HelpExample {
    <#
    .SYNOPSIS
        One record per "### " entry under "## EXAMPLES" of every help page: Id ("<Cmdlet>: <title>"), File, Title and
        Code (the entry's first powershell block, as Build-Help.ps1 takes it; $null when it has none).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Folder)
    foreach ($page in Get-ChildItem $Folder -Filter '*.md' | Where-Object Name -NotLike '_*' | Sort-Object Name) {
        $inFence = $false; $inExamples = $false; $entry = $null
        $entries = [System.Collections.Generic.List[object]]::new()
        # The same reading as Build-Help.ps1's Split-Markdown: headings count only outside code fences.
        foreach ($line in Get-Content $page.FullName) {
            if ($line -match '^```') { $inFence = -not $inFence }
            if (-not $inFence -and $line -match '^## (.+)$') { $inExamples = $Matches[1].Trim() -eq 'EXAMPLES'; $entry = $null; continue }
            if (-not $inExamples) { continue }
            if (-not $inFence -and $line -match '^### (.+)$') {
                $entry = [pscustomobject]@{ Title = $Matches[1].Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
                $entries.Add($entry)
                continue
            }
            if ($entry) { $entry.Lines.Add($line) }
        }
        foreach ($item in $entries) {
            $text = $item.Lines -join "`n"
            [pscustomobject]@{
                Id    = "$($page.BaseName): $($item.Title)"
                File  = $page.FullName
                Title = $item.Title
                Code  = if ($text -match '(?s)```powershell\n(.*?)\n```') { $Matches[1] } else { $null }
            }
        }
    }
}

function Get-ScriptExample {
    <#
    .SYNOPSIS
        One record per .EXAMPLE of every script in the folder: Id ("<Script>.ps1: .EXAMPLE <n>"), File, Title and Code
        (the example's first line and its continuation lines; the text after a blank line is its remark). A script
        without an .EXAMPLE gives one record with Code $null, so that it cannot go unrun.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Folder)
    foreach ($script in Get-ChildItem $Folder -Filter '*.ps1' | Sort-Object Name) {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($script.FullName, [ref] $tokens, [ref] $errors)
        $help = $ast.GetHelpContent()
        $examples = @(if ($help) { $help.Examples })
        if (-not $examples) { [pscustomobject]@{ Id = "$($script.Name): no .EXAMPLE"; File = $script.FullName; Title = 'no .EXAMPLE'; Code = $null } }
        $number = 0
        foreach ($example in $examples) {
            $number++
            $lines = ($example.Trim() -split "`r?`n")
            $code = [System.Collections.Generic.List[string]]::new()
            foreach ($line in $lines) {
                if (-not $line.Trim()) { break }
                $code.Add($line.Trim())
            }
            [pscustomobject]@{ Id = "$($script.Name): .EXAMPLE $number"; File = $script.FullName; Title = ".EXAMPLE $number"; Code = $code -join "`n" }
        }
    }
}

function Get-ShippedExample {
    <# .SYNOPSIS Every help example and script example under a repository root. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Root)
    Get-HelpExample -Folder (Join-Path $Root 'docs/en-US')
    Get-ScriptExample -Folder (Join-Path $Root 'examples')
}

function Resolve-ExampleSpec {
    <#
    .SYNOPSIS
        How one example runs: its entry in ExampleSpecs.ps1, if any, with what follows from its text. An example of a Batch
        Operations cmdlet runs as profile ops (S3 Control on the stand-in, the account from moto_server's STS), so that a
        new one needs no entry to run.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Example, [Parameter(Mandatory)] [hashtable] $Specs)
    $spec = @{}
    if ($Specs.ContainsKey($Example.Id)) { foreach ($entry in $Specs[$Example.Id].GetEnumerator()) { $spec[$entry.Key] = $entry.Value } }
    if ($Example.Code -match '-S3BackupBatch' -and -not $spec.ContainsKey('Session')) {
        $spec.Session = 'ops'
        if (-not $spec.ContainsKey('Where')) { $spec.Where = 'the S3 Control stand-in on the Ceph server, the account from moto_server''s STS' }
    }
    $spec
}

Export-ModuleMember -Function Get-HelpExample, Get-ScriptExample, Get-ShippedExample, Resolve-ExampleSpec
