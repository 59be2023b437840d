using System.CommandLine;

namespace TorchSpecs.Cli;

/// <summary>
/// <c>convert MODEL IN OUT</c>: reads weights in any format into the model (so they are checked
/// against its table) and writes them in the format of OUT's extension, under the chosen names.
/// </summary>
internal static class ConvertVerb
{
    public static Command Create(IReadOnlyList<ModelInfo> models)
    {
        var input = new Argument<string>("in") { Description = "Weights: .pt/.pth, .safetensors, TorchSharp's format or a TorchSpecs checkpoint (.ckpt)." };
        var output = new Argument<string>("out") { Description = "The file to write: .pt/.pth (PyTorch), .safetensors, anything else TorchSharp's format." };
        var names = new Option<string>("--names") { Description = "Keys to write: torch (the rows' torch_name where given, else the row's name), torchvision (torchvision's module paths computed from the table), model (the row names).", DefaultValueFactory = _ => "torch" };
        var command = new ModelCommand("convert", "Converts weights between PyTorch (.pth), safetensors and TorchSharp's format, checking them against the model.")
        {
            input, output, names,
        };
        command.SetAction(result => Cli.Guard(() =>
        {
            var info = command.Find(result, models);
            string mode = result.GetValue(names)!;
            if (mode is not ("torch" or "torchvision" or "model")) throw new CliException($"--names: '{mode}' is not one of torch, torchvision, model");
            var loaded = PredictVerb.LoadWeights(info, result.GetValue(input)!);
            using var module = loaded.Module!;
            string path = result.GetValue(output)!;
            if (mode == "torchvision") ModelWeights.Save(module, info, path, ModelWeights.TorchvisionNames(info));
            else ModelWeights.Save(module, info, path, torchNames: mode == "torch");
            Console.WriteLine($"{path}: {module.state_dict().Count} tensors of {info.Name}, {WeightsFile.FormatFor(path)} format, {mode} names");
            return 0;
        }));
        return command;
    }
}
