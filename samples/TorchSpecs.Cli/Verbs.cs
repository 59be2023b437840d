using System.CommandLine;
using TorchSpecs;

namespace TorchSpecs.Cli;

/// <summary>The command-line verbs. Each returns 0 on success, 1 when a check fails, 2 on bad input.</summary>
internal static class Verbs
{
    public static Command List(IReadOnlyList<ModelInfo> models)
    {
        var command = new Command("list", "Every model: input, output, total parameters and spec file.");
        command.SetAction(_ =>
        {
            Console.Write(ModelList.Format(models));
            return 0;
        });
        return command;
    }

    public static Command Summary(IReadOnlyList<ModelInfo> models)
    {
        var details = new Option<bool>("--details") { Description = "Per row: kernel, stride, padding, output, params, multiply-adds, receptive field and jump; then torchinfo's totals." };
        var json = new Option<bool>("--json") { Description = "The expanded layer table and the totals as JSON (what tools outside .NET read)." };
        var batch = new Option<int>("--batch") { Description = "Images per batch for the multiply-adds and memory figures of --details and --json.", DefaultValueFactory = _ => 1 };
        var command = new ModelCommand("summary", "The Keras-style layer table of a model, from its spec (nothing is built).") { details, json, batch };
        command.SetAction(result => WithModel(models, result.GetValue(command.Model)!, info =>
        {
            int images = result.GetValue(batch);
            if (images < 1)
            {
                Console.Error.WriteLine($"summary: --batch must be at least 1, got {images}.");
                return 2;
            }
            if (result.GetValue(details) && result.GetValue(json))
            {
                Console.Error.WriteLine("summary: choose one of --details and --json.");
                return 2;
            }
            Console.Write(result.GetValue(json) ? ModelSummary.ToJson(info, images)
                : result.GetValue(details) ? ModelSummary.FormatDetails(info, images)
                : ModelSummary.Format(info));
            return 0;
        }));
        return command;
    }

    public static Command Check(IReadOnlyList<ModelInfo> models)
    {
        var model = new Argument<string?>("model") { Description = "The model's name (see list).", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Check every model." };
        var batch = new Option<int>("--batch") { Description = "Images in the random test batch.", DefaultValueFactory = _ => 2 };
        var command = new Command("check", "Builds the model, runs a forward pass on a random batch and compares every layer's output shape and parameter count with the spec.")
        {
            model, all, batch,
        };
        command.SetAction(result =>
        {
            string? name = result.GetValue(model);
            bool everyModel = result.GetValue(all);
            if (everyModel == (name is not null))
            {
                Console.Error.WriteLine("check: name one model, or pass --all.");
                return 2;
            }
            var selected = everyModel ? models : null;
            if (selected is null)
            {
                try { selected = new[] { FindModel(models, name!) }; }
                catch (UnknownModelException e) { Console.Error.WriteLine(e.Message); return 2; }
            }
            int failed = 0;
            foreach (var info in selected)
            {
                var report = ModelCheck.Run(info, result.GetValue(batch));
                if (report.Passed)
                {
                    Console.WriteLine($"ok    {info.Name}: {info.Layers.Count} layers, output {info.Output}, {ModelSummary.Thousands(report.ParametersElementCount)} trainable parameters, as the spec says");
                    continue;
                }
                failed++;
                Console.WriteLine($"FAIL  {info.Name} ({info.SpecFile}):");
                foreach (var problem in report.Problems) Console.WriteLine($"      {problem}");
            }
            if (selected.Count > 1) Console.WriteLine($"{selected.Count - failed} of {selected.Count} models match their specs.");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The named model. An unknown name is the library's message (near names) with the CLI's hint: library text names no verb.</summary>
    internal static ModelInfo FindModel(IReadOnlyList<ModelInfo> models, string name)
    {
        try { return ModelLookup.Find(models, name); }
        catch (UnknownModelException e) { throw new UnknownModelException($"{e.Message} `list` shows all {models.Count} models."); }
    }

    /// <summary>Runs <paramref name="action"/> on the named model; an unknown name is a one-line error and exit code 2.</summary>
    internal static int WithModel(IReadOnlyList<ModelInfo> models, string name, Func<ModelInfo, int> action)
    {
        ModelInfo info;
        try { info = FindModel(models, name); }
        catch (UnknownModelException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        return action(info);
    }
}
