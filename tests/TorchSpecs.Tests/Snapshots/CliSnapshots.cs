using System.Reflection;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>The command line's output, held against committed snapshots.</summary>
[Collection(SerialCollection.Name)]
public class CliSnapshots
{
    [Fact]
    public void List()
    {
        var (exitCode, output, _) = RunCli("list");
        Assert.Equal(0, exitCode);
        Snapshot.Verify(output);
    }

    [Theory]
    [InlineData("summary")]
    [InlineData("check")]
    [InlineData("predict")]
    public void AnUnknownModelGetsTheLibrarysSuggestionsAndTheCommandLinesHint(string verb)
    {
        var (exitCode, _, error) = RunCli(verb, "AlexNetKeras");
        Assert.Equal(2, exitCode);
        Assert.Contains("Unknown model 'AlexNetKeras'. Did you mean AlexNetKerasBN", error);
        Assert.Contains($"`list` shows all {TorchSpecs.Models.ModelCatalog.All.Count} models.", error);
    }

    /// <summary>Runs the CLI's entry point in this process with the console redirected (hence the serial collection).</summary>
    private static (int ExitCode, string Output, string Error) RunCli(params string[] args)
    {
        var entryPoint = Assembly.Load(new AssemblyName("torchspecs")).EntryPoint
            ?? throw new InvalidOperationException("the torchspecs assembly has no entry point");
        StringWriter output = new(), error = new();
        TextWriter originalOut = Console.Out, originalError = Console.Error;
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var exitCode = (int)entryPoint.Invoke(null, new object[] { args })!;
            return (exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
