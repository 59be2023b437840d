using System.CommandLine;
using TorchSpecs.Data;

namespace TorchSpecs.Cli;

/// <summary>
/// A verb on one named model (summary, train, evaluate, bench, predict, convert, export): the
/// model's name is its first argument, declared here once; the verb's own symbols follow.
/// </summary>
internal sealed class ModelCommand : Command
{
    public ModelCommand(string name, string description) : base(name, description) => Arguments.Add(Model);

    public Argument<string> Model { get; } = new("model") { Description = "The model's name (see list)." };

    /// <summary>The model the command line names; an unknown name is an <see cref="UnknownModelException"/> with the CLI's hint.</summary>
    public ModelInfo Find(ParseResult result, IReadOnlyList<ModelInfo> models) => Verbs.FindModel(models, result.GetValue(Model)!);
}

/// <summary>
/// The options that several verbs take, declared once (with <see cref="DeviceOption"/> and the
/// model argument of <see cref="ModelCommand"/>). Each call makes a new symbol, since a verb owns its own.
/// </summary>
internal static class CommonOptions
{
    /// <summary><c>--threads N</c>: libtorch's CPU threads; 0, the default, one per core (see <see cref="ThreadCount"/>).</summary>
    public static Option<int> Threads() => new("--threads") { Description = "CPU threads for libtorch (0: one per core).", DefaultValueFactory = _ => 0 };

    /// <summary>The thread count <see cref="Threads"/> asks for: 0 is one per core; a negative value is left to the verb to reject.</summary>
    public static int ThreadCount(ParseResult result, Option<int> threads) => result.GetValue(threads) is 0 ? Environment.ProcessorCount : result.GetValue(threads);

    /// <summary><c>--data DIR</c>: the folder of the data set the verb reads.</summary>
    public static Option<string?> DataFolder() => new("--data") { Description = $"The data set's folder (fashion-mnist: {DataSets.FashionMnistDirectory} unless given)." };

    /// <summary><c>--skip-corrupt</c>: image folders leave out files that cannot be decoded.</summary>
    public static Option<bool> SkipCorrupt() => new("--skip-corrupt") { Description = "Image folders: leave out files that cannot be decoded (listed in the report) instead of stopping." };
}
