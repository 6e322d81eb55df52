# Imports the cmdlets. On PowerShell 7 they and the AWS SDK load into the module's own AssemblyLoadContext, so
# S3Replication works beside modules that bring another AWSSDK.Core (AWS.Tools, for one), whichever loads first.
# Windows PowerShell 5.1 has no load contexts: there the cmdlet assembly is imported directly (no isolation).
# .NET calls, not Join-Path: a cmdlet from another module would load that module and slow the import by 0.15 s.
$cmdletAssembly = [System.IO.Path]::Combine($PSScriptRoot, 'S3Replication.dll')
$dependencies = [System.IO.Path]::Combine($PSScriptRoot, 'dependencies')

$isReload = $false
if ($PSEdition -eq 'Core') {
    # LoadFrom returns the loaded assembly on a re-import; asking it for the type skips a search of every assembly.
    $loader = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'S3Replication.LoadContext.dll'))
    $loadContext = $loader.GetType('S3Replication.Loading.ModuleLoadContext', $true)
    $isReload = $loadContext::IsInitialized
    $assembly = $loadContext::Initialize($cmdletAssembly, $dependencies)
    $inner = Microsoft.PowerShell.Core\Import-Module -Assembly $assembly -PassThru
}
else {
    $inner = Microsoft.PowerShell.Core\Import-Module $cmdletAssembly -PassThru
}

# Import-Module -Force of this module finds the assembly module cached and does not add its cmdlets here again
# (PowerShell/PowerShell#20710), so on a re-import they are added explicitly.
if ($isReload) {
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
}
