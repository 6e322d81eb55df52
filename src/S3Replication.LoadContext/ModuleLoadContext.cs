using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace S3Replication.Loading;

/// <summary>
/// The module's own load context on PowerShell 7. The cmdlet assembly and the AWS SDK it was built with load here,
/// so another module's AWSSDK.Core (3.7 or 4.0.x) in the default context, loaded before or after, cannot replace
/// ours or fail our load. Assemblies the runtime and pwsh ship (System.Management.Automation, System.Text.Json,
/// System.Memory, ...) come from the default context: a second copy of those would make types that must be
/// shared, such as Span and the PowerShell API, into different types.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly object Sync = new();
    private static ModuleLoadContext? _instance;

    private readonly string _dependencies;
    private readonly HashSet<string> _platform;
    private readonly Assembly _module;

    private ModuleLoadContext(string modulePath, string dependencies) : base("S3Replication", isCollectible: false)
    {
        _dependencies = dependencies;
        _platform = PlatformAssemblyNames();
        _module = LoadFromAssemblyPath(modulePath);
    }

    /// <summary>
    /// Loads the cmdlet assembly, once per process however often the module is imported, and answers the default
    /// context's requests for it by name (the manifest's nested module) with this context's copy.
    /// </summary>
    public static Assembly Initialize(string modulePath, string dependencies)
    {
        lock (Sync)
        {
            if (_instance is null)
            {
                _instance = new ModuleLoadContext(Path.GetFullPath(modulePath), Path.GetFullPath(dependencies));
                Default.Resolving += ResolveModule;
            }
            return _instance._module;
        }
    }

    /// <summary>The default context's last resort for a name it does not have: the cmdlet assembly's is answered from here.</summary>
    internal static Assembly? ResolveModule(AssemblyLoadContext requester, AssemblyName request)
    {
        var module = _instance?._module;
        return module is not null && string.Equals(request.Name, module.GetName().Name, StringComparison.OrdinalIgnoreCase) ? module : null;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name || _platform.Contains(name))
        {
            return null;
        }
        var path = Path.Combine(_dependencies, name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    /// <summary>Names of the assemblies the host was started with (the runtime's and pwsh's own).</summary>
    private static HashSet<string> PlatformAssemblyNames()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (var path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            names.Add(Path.GetFileNameWithoutExtension(path));
        }
        return names;
    }
}
