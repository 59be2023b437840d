using System.CommandLine;
using TorchSpecs;
using TorchSpecs.Cli;
using TorchSpecs.Models;
using TorchSpecs.Native;

// Keep libtorch's large buffers in the heap (+30% training speed); TORCHSPECS_MALLOC_TUNING=0 turns it off.
MallocTuning.Apply();
// OpenMP threads that sleep instead of spinning while they wait: 3-4x faster on a shared, busy machine.
OpenMpTuning.Apply();

var root = new RootCommand("TorchSpecs: list, summarize, check, train, evaluate, benchmark, predict with and export the models generated from specs/*.yaml.");
root.Subcommands.Add(Verbs.List(ModelCatalog.All));
root.Subcommands.Add(Verbs.Summary(ModelCatalog.All));
root.Subcommands.Add(Verbs.Check(ModelCatalog.All));
root.Subcommands.Add(TrainVerbs.Train(ModelCatalog.All));
root.Subcommands.Add(TrainVerbs.Evaluate(ModelCatalog.All));
root.Subcommands.Add(BenchVerb.Create(ModelCatalog.All));
root.Subcommands.Add(PredictVerb.Create(ModelCatalog.All));
root.Subcommands.Add(ConvertVerb.Create(ModelCatalog.All));
root.Subcommands.Add(ExportVerb.Create(ModelCatalog.All));
return root.Parse(args).Invoke();
