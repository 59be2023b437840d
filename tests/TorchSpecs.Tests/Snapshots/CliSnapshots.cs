using System.Reflection;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>The command line's output, held against committed snapshots.</summary>
[Collection(SerialCollection.Name)]
public class CliSnapshots
{
    [Fact]
    public void List()
    {
        var (exitCode, output) = RunCli("list");
        Assert.Equal(0, exitCode);
        Snapshot.Verify(output);
    }

    /// <summary>Runs the CLI's entry point in this process with the console redirected (hence the serial collection).</summary>
    private static (int ExitCode, string Output) RunCli(params string[] args)
    {
        var entryPoint = Assembly.Load(new AssemblyName("torchspecs")).EntryPoint
            ?? throw new InvalidOperationException("the torchspecs assembly has no entry point");
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            var exitCode = (int)entryPoint.Invoke(null, new object[] { args })!;
            return (exitCode, output.ToString());
        }
        finally
        {
            Console.SetOut(original);
        }
    }
}
