using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace S3Replication.Loading;

/// <summary>
/// Runs when the module is imported, before the manifest's second nested module asks for the cmdlet assembly by name
/// (a name, not a path, so that PowerShell does not load it into its default context). On PowerShell 7 the name is
/// answered from the module's own load context; Windows PowerShell 5.1 has no load contexts, and there the cmdlet
/// assembly and its dependencies load from dependencies/ (no isolation).
/// </summary>
public sealed class ModuleImport : IModuleAssemblyInitializer
{
    private static readonly object Sync = new();
    private static bool _imported;

    public void OnImport()
    {
        lock (Sync)
        {
            if (_imported)
            {
                return;
            }
            var moduleBase = Path.GetDirectoryName(typeof(ModuleImport).Assembly.Location)!;
            var dependencies = Path.Combine(moduleBase, "dependencies");
            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                ResolveFrom(dependencies);
            }
            else
            {
                IsolateIn(moduleBase, dependencies);
            }
            _imported = true;
        }
    }

    private static void ResolveFrom(string dependencies) =>
        AppDomain.CurrentDomain.AssemblyResolve += (_, request) =>
        {
            var path = Path.Combine(dependencies, new AssemblyName(request.Name).Name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        };

    /// <summary>The load context is .NET 8 code this netstandard2.0 assembly cannot reference, so it is reached by reflection, once.</summary>
    private static void IsolateIn(string moduleBase, string dependencies) =>
        Assembly.LoadFrom(Path.Combine(moduleBase, "S3Replication.LoadContext.dll"))
            .GetType("S3Replication.Loading.ModuleLoadContext", throwOnError: true)!
            .GetMethod("Initialize", BindingFlags.Public | BindingFlags.Static)!
            .Invoke(null, new object[] { Path.Combine(dependencies, "S3Replication.dll"), dependencies });
}
