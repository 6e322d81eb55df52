BeforeDiscovery {
    $manifest = Import-PowerShellDataFile (Join-Path $env:S3R_MODULE_PATH 'S3Replication.psd1')
    $cmdletCases = $manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    . (Join-Path $PSScriptRoot '../../docs/HelpCommand.ps1')
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters |
        Where-Object { $_ -notin 'WhatIf', 'Confirm' }
}

Describe 'The module manifest' {
    It 'exports exactly the cmdlets the assembly defines' {
        $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'S3Replication.psd1')
        $defined = [S3Replication.Commands.S3BackupCmdlet].Assembly.GetExportedTypes() |
            Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        ($manifest.CmdletsToExport | Sort-Object) | Should -Be ($defined | Sort-Object)
        (Get-Command -Module S3Replication).Name | Sort-Object | Should -Be ($defined | Sort-Object)
    }

    It 'ships the about topic' {
        Get-Help about_S3Replication | Out-String | Should -Match 'S3-COMPATIBLE SERVERS'
    }
}

Describe 'Help for <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $help = Get-Help $Name -Full
        # Dynamic parameters included, also those a cmdlet offers only for some value of another (HelpCommand.ps1).
        $parameters = (Get-CommandWithDynamicParameter (Get-Command $Name)).Parameters.Values | Where-Object Name -NotIn $common
    }

    It 'has a written synopsis and description' {
        $help.Synopsis | Should -Not -BeLike "$Name *"
        $help.Synopsis.Length | Should -BeGreaterThan 20
        ($help.description.Text -join ' ').Length | Should -BeGreaterThan 80
    }

    It 'has at least two examples with code' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.examples.example) { $example.code | Should -Not -BeNullOrEmpty }
    }

    It 'describes every parameter the cmdlet has' {
        foreach ($parameter in $parameters) {
            $documented = $help.parameters.parameter | Where-Object name -EQ $parameter.Name
            $documented | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) must be documented"
            ($documented.description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
        }
    }

    It 'shows value types by their PowerShell names and a default for every optional parameter' {
        $syntax = Get-Help $Name | Select-Object -ExpandProperty syntax | Out-String -Width 500
        $syntax | Should -Not -Match 'Nullable|`1|System\.' -Because 'the syntax reads -AsOf <datetime>, not <Nullable`1>'
        foreach ($documented in @($help.parameters.parameter | Where-Object required -EQ 'false')) {
            "$($documented.defaultValue)" | Should -Not -BeNullOrEmpty -Because "-$($documented.name) shows its default value"
        }
        if ($Name -eq 'Sync-S3BackupToSource') {
            ($help.parameters.parameter | Where-Object name -EQ MaxConcurrency).defaultValue | Should -Be '128'
            ($help.parameters.parameter | Where-Object name -EQ AsOf).type.name | Should -Be 'datetime'
        }
    }

    It 'documents no parameter the cmdlet lacks' {
        foreach ($documented in @($help.parameters.parameter)) {
            $documented.name | Should -BeIn $parameters.Name
        }
    }

    It 'names its outputs and related links' {
        $help.returnValues | Should -Not -BeNullOrEmpty
        @($help.relatedLinks.navigationLink).Count | Should -BeGreaterOrEqual 1
    }
}

Describe 'Formats' {
    BeforeAll {
        $records = [S3Replication.Commands.S3BackupCmdlet].Assembly.GetExportedTypes() |
            Where-Object { $_.Namespace -eq 'S3Replication.Records' -and $_.IsClass -and -not $_.IsAbstract }
    }

    It 'has a default view for every record type: a table, or a list for the session (one record, long values)' {
        $records.Count | Should -BeGreaterThan 10
        foreach ($type in $records) {
            $views = Get-FormatData -TypeName $type.FullName
            $views | Should -Not -BeNullOrEmpty -Because "$($type.Name) is written to the pipeline"
            $expected = if ($type.Name -eq 'S3BackupSession') { [System.Management.Automation.ListControl] } else { [System.Management.Automation.TableControl] }
            $views.FormatViewDefinition.Control | Where-Object { $_ -is $expected } | Should -Not -BeNullOrEmpty -Because "$($type.Name) has a $($expected.Name)"
        }
    }

    It 'gives every record a ToString of its own, for logs' {
        foreach ($type in $records) {
            $type.GetMethod('ToString', [type[]]@()).DeclaringType | Should -Be $type -Because "$($type.Name) appears in logs and transcripts"
        }
    }

    It 'shows sizes readably and times in local time' {
        $record = [S3Replication.Records.S3ObjectRecord]@{ Bucket = 'b'; Key = 'imap/a.cdf'; Size = 5MB + 1; LastModified = [datetime]::new(2025, 1, 7, 12, 0, 0, [DateTimeKind]::Utc) }
        $table = $record | Format-Table | Out-String -Width 200
        $table | Should -Match '5\.0 MiB'
        $table | Should -Match ([regex]::Escape($record.LastModified.ToLocalTime().ToString('yyyy-MM-dd HH:mm:ss')))
    }
}
