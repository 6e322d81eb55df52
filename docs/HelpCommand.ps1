<#
    Dot-sourced by docs/Build-Help.ps1 and tests/pester/Help.Tests.ps1: a cmdlet with every parameter it can have, which
    its help must document. Get-Command shows a cmdlet's dynamic parameters only as far as the arguments given call them
    up: Compare-S3BackupBucket offers -WorkBucket, -RoleArn, ... only with -CompareBy ComputedChecksum. So a cmdlet that
    has dynamic parameters is asked again with each value of each of its own enum and ValidateSet parameters, and the answer
    with the most parameters is taken.
#>
function Get-CommandWithDynamicParameter([System.Management.Automation.CmdletInfo] $Command) {
    if (-not [System.Management.Automation.IDynamicParameters].IsAssignableFrom($Command.ImplementingType)) { return $Command }
    $widest = $Command
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    foreach ($parameter in @($Command.Parameters.Values | Where-Object Name -NotIn $common)) {
        $type = [Nullable]::GetUnderlyingType($parameter.ParameterType) ?? $parameter.ParameterType
        $values = if ($type.IsEnum) { [Enum]::GetNames($type) }
        else { @($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | ForEach-Object ValidValues) }
        foreach ($value in $values) {
            $asked = Get-Command -Name $Command.Name -Module $Command.ModuleName -ArgumentList "-$($parameter.Name)", $value -ErrorAction Ignore
            if ($asked -and $asked.Parameters.Count -gt $widest.Parameters.Count) {
                # What called them up, for whoever needs the cmdlet in that state (Build-Help.ps1: the parameters' defaults).
                $widest = $asked | Add-Member -NotePropertyName WidenedBy -NotePropertyValue @($parameter.Name, $value) -PassThru
            }
        }
    }
    $widest
}
