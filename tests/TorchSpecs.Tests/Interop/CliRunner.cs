using System.CommandLine;

namespace TorchSpecs.Tests.Interop;

/// <summary>Runs one CLI verb in this process with stdout and stderr captured (tests using it are in the serial collection).</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(Command verb, params string[] args)
    {
        var root = new RootCommand("test") { verb };
        var output = new StringWriter();
        var error = new StringWriter();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = root.Parse(new[] { verb.Name }.Concat(args).ToArray()).Invoke();
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
