#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the module's MAML help (en-US/S3Replication.dll-Help.xml) from docs/en-US/*.md.
.DESCRIPTION
    Syntax, parameter types, positions, pipeline binding and mandatory flags come from the built cmdlets
    themselves (with the dynamic parameters some offer only for a value of another, see HelpCommand.ps1); the Markdown supplies synopsis, description, examples, parameter descriptions, inputs, outputs,
    notes and related links. Fails when a cmdlet has no page, a page names no real cmdlet, a parameter is
    undocumented or documented but missing, or a page lacks a synopsis, a description or two examples.
    Run in a fresh pwsh: it imports the built module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $SourcePath = (Join-Path $PSScriptRoot 'en-US')
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$module = Import-Module (Join-Path $ModulePath 'S3Replication.psd1') -PassThru
. (Join-Path $PSScriptRoot 'HelpCommand.ps1')
$commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters |
    Where-Object { $_ -notin 'WhatIf', 'Confirm' }
$problems = [System.Collections.Generic.List[string]]::new()

function Split-Markdown([string] $Path) {
    # Returns ordered sections: level-2 heading -> list of (level-3 heading, body text) entries.
    $sections = [ordered]@{}
    $current = $null; $entry = $null; $inFence = $false
    foreach ($line in Get-Content $Path) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^## (.+)$') {
            $current = [System.Collections.Generic.List[object]]::new()
            $sections[$Matches[1].Trim()] = $current
            $entry = [pscustomobject]@{ Title = ''; Lines = [System.Collections.Generic.List[string]]::new() }
            $current.Add($entry)
            continue
        }
        if ($null -eq $current) { continue }
        if (-not $inFence -and $line -match '^### (.+)$') {
            $entry = [pscustomobject]@{ Title = $Matches[1].Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
            $current.Add($entry)
            continue
        }
        $entry.Lines.Add($line)
    }
    $sections
}

function Get-Paragraphs([string[]] $Lines) {
    # A list item ("- ...") is a paragraph of its own, or Get-Help runs the items together into one.
    $Lines = foreach ($line in $Lines) { if ($line -match '^\s*- ') { '' }; $line }
    (($Lines -join "`n").Trim() -split "`n\s*`n") | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() } | Where-Object { $_ }
}

function Get-EntryText($Section) { if ($Section) { Get-Paragraphs $Section[0].Lines } }

function Get-NamedEntries($Section) {
    $entries = [ordered]@{}
    if ($Section) { foreach ($entry in $Section | Where-Object Title) { $entries[$entry.Title] = $entry } }
    $entries
}

$common = Get-NamedEntries (Split-Markdown (Join-Path $SourcePath '_CommonParameters.md'))['PARAMETERS']

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$outputFolder = Join-Path $ModulePath 'en-US'
$null = New-Item -ItemType Directory -Force $outputFolder
$outputPath = Join-Path $outputFolder 'S3Replication.dll-Help.xml'
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$writer = [System.Xml.XmlWriter]::Create($outputPath, $settings)

function Write-Paragraphs([string[]] $Paragraphs) {
    $writer.WriteStartElement('maml', 'description', $maml)
    foreach ($paragraph in $Paragraphs) { $writer.WriteElementString('maml', 'para', $maml, $paragraph) }
    $writer.WriteEndElement()
}

# The name Get-Help shows for a parameter's value: datetime rather than Nullable`1, string[] rather than String[].
$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Get
function Get-FriendlyTypeName([type] $Type) {
    $shown = [Nullable]::GetUnderlyingType($Type) ?? $Type
    if ($shown.IsArray) { return (Get-FriendlyTypeName $shown.GetElementType()) + '[]' }
    $short = $accelerators.GetEnumerator() | Where-Object { $_.Value -eq $shown -and $_.Key -cmatch '^[a-z]+$' } | Sort-Object { $_.Key.Length } | Select-Object -First 1
    if ($short) { $short.Key } else { $shown.Name }
}

# A parameter's default as Get-Help's "Default value" line: what a new instance of the cmdlet holds, or of the object
# that holds its dynamic parameters.
function Get-DefaultText($Instances, $Parameter) {
    # -WhatIf and -Confirm are PowerShell's, not properties of the cmdlet.
    $holder = $Instances | Where-Object { $null -ne $_ -and $_.PSObject.Properties[$Parameter.Name] } | Select-Object -First 1
    $value = if ($holder) { $holder.($Parameter.Name) } else { $null }
    if ($Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter] -and $null -eq $value) { return 'False' }
    if ($null -eq $value) { return 'None' }
    if ($value -is [System.Management.Automation.SwitchParameter]) { return [string]$value.IsPresent }
    if ($value -is [array]) { return $(if ($value.Count) { $value -join ', ' } else { 'None' }) }
    if ($value -is [string] -and $value.Length -eq 0) { return 'None' }
    if ($value -is [long] -or $value -is [int]) { return $value.ToString('N0', [cultureinfo]::InvariantCulture) }
    [string]$value
}

# -Conditional: a dynamic parameter the cmdlet offers only for some value of another (Compare-S3BackupBucket's -WorkBucket with
# -CompareBy ComputedChecksum), shown as optional: its description says when it is there and required.
function Write-Parameter($Parameter, [string[]] $Description, $SetMetadata, $Instances, [switch] $Conditional) {
    $isSwitch = $Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $pipeline = @(
        if ($SetMetadata.ValueFromPipeline) { 'ByValue' }
        if ($SetMetadata.ValueFromPipelineByPropertyName) { 'ByPropertyName' }
    )
    $writer.WriteStartElement('command', 'parameter', $command)
    $writer.WriteAttributeString('required', ([string]($SetMetadata.IsMandatory -and -not $Conditional)).ToLowerInvariant())
    $writer.WriteAttributeString('variableLength', ([string]$Parameter.ParameterType.IsArray).ToLowerInvariant())
    $writer.WriteAttributeString('globbing', ([string][bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })).ToLowerInvariant())
    $writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $writer.WriteAttributeString('position', $(if ($SetMetadata.Position -ge 0) { [string]($SetMetadata.Position + 1) } else { 'named' }))
    $writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('maml', 'name', $maml, $Parameter.Name)
    Write-Paragraphs $Description
    if (-not $isSwitch) {
        $writer.WriteStartElement('command', 'parameterValue', $command)
        $writer.WriteAttributeString('required', 'true')
        $writer.WriteAttributeString('variableLength', ([string]$Parameter.ParameterType.IsArray).ToLowerInvariant())
        $writer.WriteString((Get-FriendlyTypeName $Parameter.ParameterType))
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('dev', 'type', $dev)
    $writer.WriteElementString('maml', 'name', $maml, (Get-FriendlyTypeName $Parameter.ParameterType))
    $writer.WriteEndElement()
    $writer.WriteElementString('dev', 'defaultValue', $dev, (Get-DefaultText $Instances $Parameter))
    $writer.WriteEndElement()
}

function Write-TypeList([string] $ListName, [string] $ItemName, $Entries) {
    $writer.WriteStartElement('command', $ListName, $command)
    foreach ($entry in $Entries.Values) {
        $writer.WriteStartElement('command', $ItemName, $command)
        $writer.WriteStartElement('dev', 'type', $dev)
        $writer.WriteElementString('maml', 'name', $maml, $entry.Title)
        $writer.WriteEndElement()
        Write-Paragraphs (Get-Paragraphs $entry.Lines)
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')
$cmdlets = Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name
$pages = Get-ChildItem $SourcePath -Filter '*.md' | Where-Object Name -NotLike '_*'
foreach ($page in $pages | Where-Object BaseName -NotIn $cmdlets.Name) { $problems.Add("$($page.Name) documents no cmdlet of the module.") }

foreach ($cmdlet in $cmdlets) {
    $pagePath = Join-Path $SourcePath "$($cmdlet.Name).md"
    if (-not (Test-Path $pagePath)) { $problems.Add("$($cmdlet.Name) has no help page at $pagePath."); continue }
    $doc = Split-Markdown $pagePath
    $instance = [Activator]::CreateInstance($cmdlet.ImplementingType)
    # With the dynamic parameters it can have (HelpCommand.ps1): the help documents those too.
    $offered = $cmdlet
    $cmdlet = Get-CommandWithDynamicParameter $offered
    $conditional = @($cmdlet.Parameters.Keys | Where-Object { -not $offered.Parameters.ContainsKey($_) })
    # The object that holds the dynamic parameters, asked of another instance in the state that offers them, for their defaults.
    $asking = [Activator]::CreateInstance($cmdlet.ImplementingType)
    if ($cmdlet.PSObject.Properties['WidenedBy']) { $asking.($cmdlet.WidenedBy[0]) = $cmdlet.WidenedBy[1] }
    $instances = @($instance; if ($asking -is [System.Management.Automation.IDynamicParameters]) { $asking.GetDynamicParameters() })
    $synopsis = @(Get-EntryText $doc['SYNOPSIS'])
    $description = @(Get-EntryText $doc['DESCRIPTION'])
    $examples = @(if ($doc['EXAMPLES']) { $doc['EXAMPLES'] | Where-Object Title })
    $documented = Get-NamedEntries $doc['PARAMETERS']
    if (-not $synopsis) { $problems.Add("$($cmdlet.Name): no SYNOPSIS.") }
    if (-not $description) { $problems.Add("$($cmdlet.Name): no DESCRIPTION.") }
    if ($examples.Count -lt 2) { $problems.Add("$($cmdlet.Name): $($examples.Count) examples; at least two are needed.") }

    $parameters = $cmdlet.Parameters.Values | Where-Object Name -NotIn $commonParameters
    $descriptions = @{}
    foreach ($parameter in $parameters) {
        $entry = $documented["-$($parameter.Name)"] ?? $common["-$($parameter.Name)"]
        if (-not $entry) { $problems.Add("$($cmdlet.Name): parameter -$($parameter.Name) is not documented."); continue }
        $descriptions[$parameter.Name] = @(Get-Paragraphs $entry.Lines)
    }
    foreach ($name in $documented.Keys) {
        if ($name.TrimStart('-') -notin $parameters.Name) { $problems.Add("$($cmdlet.Name): $name is documented but the cmdlet has no such parameter.") }
    }

    $writer.WriteStartElement('command', 'command', $command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $command)
    $writer.WriteElementString('command', 'name', $command, $cmdlet.Name)
    $writer.WriteElementString('command', 'verb', $command, $cmdlet.Verb)
    $writer.WriteElementString('command', 'noun', $command, $cmdlet.Noun)
    Write-Paragraphs $synopsis
    $writer.WriteEndElement()
    Write-Paragraphs $description

    $writer.WriteStartElement('command', 'syntax', $command)
    foreach ($set in $cmdlet.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $command)
        $writer.WriteElementString('maml', 'name', $maml, $cmdlet.Name)
        foreach ($setParameter in $set.Parameters | Where-Object Name -NotIn $commonParameters) {
            Write-Parameter $cmdlet.Parameters[$setParameter.Name] $descriptions[$setParameter.Name] $setParameter $instances -Conditional:($setParameter.Name -in $conditional)
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $command)
    foreach ($parameter in $parameters) {
        $setMetadata = ($cmdlet.ParameterSets.Parameters | Where-Object Name -EQ $parameter.Name | Select-Object -First 1)
        Write-Parameter $parameter $descriptions[$parameter.Name] $setMetadata $instances -Conditional:($parameter.Name -in $conditional)
    }
    $writer.WriteEndElement()

    Write-TypeList 'inputTypes' 'inputType' (Get-NamedEntries $doc['INPUTS'])
    Write-TypeList 'returnValues' 'returnValue' (Get-NamedEntries $doc['OUTPUTS'])

    $notes = @(Get-EntryText $doc['NOTES'])
    if ($notes) {
        $writer.WriteStartElement('maml', 'alertSet', $maml)
        $writer.WriteStartElement('maml', 'alert', $maml)
        foreach ($note in $notes) { $writer.WriteElementString('maml', 'para', $maml, $note) }
        $writer.WriteEndElement(); $writer.WriteEndElement()
    }

    $writer.WriteStartElement('command', 'examples', $command)
    foreach ($example in $examples) {
        $text = $example.Lines -join "`n"
        $code = if ($text -match '(?s)```powershell\n(.*?)\n```') { $Matches[1] } else { $problems.Add("$($cmdlet.Name): '$($example.Title)' has no powershell code block."); '' }
        $remarks = Get-Paragraphs (($text -replace '(?s)```powershell\n.*?\n```', '') -split "`n")
        $writer.WriteStartElement('command', 'example', $command)
        $writer.WriteElementString('maml', 'title', $maml, "-------------------------- $($example.Title) --------------------------")
        $writer.WriteElementString('dev', 'code', $dev, $code)
        $writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($remark in $remarks) { $writer.WriteElementString('maml', 'para', $maml, $remark) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'relatedLinks', $command)
    foreach ($link in @(if ($doc['RELATED LINKS']) { $doc['RELATED LINKS'][0].Lines }) | Where-Object { $_ -match '^- (.+)$' }) {
        $writer.WriteStartElement('maml', 'navigationLink', $maml)
        $writer.WriteElementString('maml', 'linkText', $maml, ($link -replace '^- ', '').Trim())
        $writer.WriteElementString('maml', 'uri', $maml, '')
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()

if ($problems.Count) {
    Remove-Item $outputPath
    $problems | ForEach-Object { Write-Host "help: $_" -ForegroundColor Red }
    exit 1
}
Write-Host "    help for $($cmdlets.Count) cmdlets written to $outputPath"
