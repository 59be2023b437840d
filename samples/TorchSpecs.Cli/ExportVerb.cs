using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TorchSpecs.Interop;

namespace TorchSpecs.Cli;

/// <summary>
/// <c>export MODEL --format onnx --weights F --out model.onnx</c>: the model as an ONNX graph
/// (<see cref="OnnxExporter"/>); <c>--format pytorch --out DIR</c>: the model as a PyTorch
/// nn.Module source file (<see cref="PyTorchExporter"/>).
/// </summary>
internal static class ExportVerb
{
    public static Command Create(IReadOnlyList<ModelInfo> models)
    {
        var format = new Option<string>("--format") { Description = "onnx (a graph with the weights) or pytorch (a Python nn.Module class).", Required = true };
        var weights = new Option<string?>("--weights") { Description = "onnx: the weights to export (any format predict takes); without it, the spec's initializers with --seed." };
        var seed = new Option<long>("--seed") { Description = "onnx without --weights: the seed of the initial weights.", DefaultValueFactory = _ => 0 };
        var verify = new Option<bool>("--verify") { Description = "onnx: run the export in ONNX Runtime and the module in TorchSharp on a random batch of 2 and print the largest difference." };
        var output = new Option<string>("--out") { Description = "onnx: the .onnx file; pytorch: the folder for <model>.py.", Required = true };
        var command = new ModelCommand("export", "Writes a model as ONNX (from its table and weights, no Python) or as a PyTorch nn.Module source file.")
        {
            format, weights, seed, output, verify,
        };
        command.SetAction(result => Cli.Guard(() =>
        {
            var info = command.Find(result, models);
            string path = result.GetValue(output)!;
            switch (result.GetValue(format)!.ToLowerInvariant())
            {
                case "onnx":
                {
                    PredictVerb.LoadedModel loaded;
                    if (result.GetValue(weights) is string file) loaded = PredictVerb.LoadWeights(info, file);
                    else
                    {
                        TorchSharp.torch.manual_seed(result.GetValue(seed));
                        loaded = new PredictVerb.LoadedModel(info.Create(), null, null, null);
                        Console.Error.WriteLine($"note: no --weights: exporting {info.Name}'s initial weights (seed {result.GetValue(seed)})");
                    }
                    using var module = loaded.Module!;
                    module.eval();
                    OnnxExporter.Export(info, module, path, Metadata(loaded));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{path}: {info.Name} as ONNX (opset {OnnxExporter.Opset}), input '{OnnxExporter.InputName}' [N, {string.Join(", ", info.Input.ToTorch(1).Skip(1))}], output '{OnnxExporter.OutputName}' [N, {info.Classes}]{(info.EndsInSoftmax ? $" and '{OnnxExporter.ProbabilitiesName}'" : "")}, {new FileInfo(path).Length:N0} bytes"));
                    if (result.GetValue(verify)) Verify(info, module, path);
                    return 0;
                }
                case "pytorch":
                {
                    if (result.GetValue(weights) is not null) throw new CliException("--weights: the pytorch format writes the module's source only; save weights with `convert MODEL IN OUT.pth --names model`");
                    string file = PyTorchExporter.Export(info, path);
                    Console.WriteLine($"{file}: class {info.Name}(nn.Module), {info.Layers.Count} rows; its state_dict keys are {info.Name}'s in .NET");
                    return 0;
                }
                default:
                    throw new CliException($"--format: '{result.GetValue(format)}' is not one of onnx, pytorch");
            }
        }));
        return command;
    }

    private static void Verify(ModelInfo info, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> module, string path)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var x = TorchSharp.torch.randn(info.Input.ToTorch(2));
        TorchSharp.torch.Tensor expected;
        using (TorchSharp.torch.no_grad()) expected = module.call(x);
        using var runner = new OnnxRunner(path);
        var actual = runner.Run(x);
        double difference = (expected - actual).abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify {info.Name}: ONNX Runtime vs TorchSharp on a random batch of 2: max abs difference {difference:E2} (outputs up to {scale:F3})"));
    }

    /// <summary>What predict --onnx needs besides the graph: class names, normalization, fit mode (JSON values).</summary>
    private static Dictionary<string, string> Metadata(PredictVerb.LoadedModel loaded)
    {
        var meta = new Dictionary<string, string>();
        if (loaded.Classes is { } classes) meta["classes"] = JsonSerializer.Serialize(classes);
        if (loaded.Normalization is { } n)
        {
            meta["mean"] = JsonSerializer.Serialize(n.Mean);
            meta["std"] = JsonSerializer.Serialize(n.Std);
        }
        if (loaded.Fit is { } fit) meta["fit"] = fit.ToString().ToLowerInvariant();
        return meta;
    }
}
