using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using S3Replication.Loading;
using Xunit;

namespace S3Replication.Tests.Loading;

/// <summary>
/// What loads where once the module is imported on PowerShell 7 (the test output folder stands in for dependencies/).
/// The test host starts with every dependency as a platform assembly, the AWS SDK included, so that the SDK loads into
/// the module's context is shown in pwsh by tests/pester/Isolation.Tests.ps1.
/// </summary>
public class ModuleLoadContextTests
{
    private static readonly string Folder = AppContext.BaseDirectory;

    private static (Assembly Module, AssemblyLoadContext Context) Load()
    {
        var module = ModuleLoadContext.Initialize(Path.Combine(Folder, "S3Replication.dll"), Folder);
        return (module, AssemblyLoadContext.GetLoadContext(module)!);
    }

    [Fact]
    public void The_cmdlet_assembly_loads_into_the_modules_own_context_once()
    {
        var (module, context) = Load();

        Assert.Equal("S3Replication", context.Name);
        Assert.NotSame(AssemblyLoadContext.Default, context);
        Assert.NotSame(typeof(S3Replication.Records.S3ObjectRecord).Assembly, module);
        Assert.Same(module, Load().Module);
    }

    [Fact]
    public void The_default_context_is_answered_with_the_modules_copy_when_it_asks_by_name()
    {
        var (module, _) = Load();

        // What the manifest's nested module "S3Replication, Culture=neutral, PublicKeyToken=null" reaches, once the
        // default context has nothing of that name (the test host has one, so the handler is asked directly).
        var answered = ModuleLoadContext.ResolveModule(AssemblyLoadContext.Default, new AssemblyName("S3Replication, Culture=neutral, PublicKeyToken=null"));

        Assert.Same(module, answered);
        Assert.Null(ModuleLoadContext.ResolveModule(AssemblyLoadContext.Default, new AssemblyName("AWSSDK.Core")));
    }

    [Theory]
    [InlineData("System.Text.Json")]
    [InlineData("System.Memory")]
    [InlineData("System.Runtime")]
    [InlineData("System.Management.Automation")]
    public void Platform_assemblies_are_shared_with_the_default_context(string name)
    {
        var (_, context) = Load();

        var loaded = context.LoadFromAssemblyName(new AssemblyName(name));

        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(loaded));
    }
}
