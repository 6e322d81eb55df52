using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace S3Replication.Pipeline;

/// <summary>
/// Windows PowerShell 5.1 (.NET Framework) has no load contexts, and does not look in the module's dependencies
/// folder: there this resolves the module's own dependencies from it. On PowerShell 7 the module's load context
/// does that, so nothing is registered.
/// </summary>
public sealed class FrameworkDependencyResolver : IModuleAssemblyInitializer
{
    public void OnImport()
    {
        if (!RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
        {
            return;
        }
        var folder = Path.Combine(Path.GetDirectoryName(typeof(FrameworkDependencyResolver).Assembly.Location)!, "dependencies");
        AppDomain.CurrentDomain.AssemblyResolve += (_, request) =>
        {
            var path = Path.Combine(folder, new AssemblyName(request.Name).Name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        };
    }
}
