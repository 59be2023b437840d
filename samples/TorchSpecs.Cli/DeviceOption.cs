using System.CommandLine;
using TorchSharp;

namespace TorchSpecs.Cli;

/// <summary>The one <c>--device cpu|cuda|cuda:N|auto</c> option of the verbs that run a model (train, evaluate, bench, predict).</summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = $"Where to run: {DeviceSelection.Names} (auto: the first CUDA device if there is one, else the CPU).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The device the option names; a device that is not there is a <see cref="DeviceSelectionException"/> (exit code 2).</summary>
    public static torch.Device Parse(ParseResult result, Option<string> option) => DeviceSelection.Parse(result.GetValue(option) ?? "cpu");
}
