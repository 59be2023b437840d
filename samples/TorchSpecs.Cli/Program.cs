using System.CommandLine;
using TorchSpecs;
using TorchSpecs.Cli;
using TorchSpecs.Models;

var root = new RootCommand("TorchSpecs: list, summarize, check and benchmark the models generated from specs/*.yaml.");
root.Subcommands.Add(Verbs.List(ModelCatalog.All));
root.Subcommands.Add(Verbs.Summary(ModelCatalog.All));
root.Subcommands.Add(Verbs.Check(ModelCatalog.All));
root.Subcommands.Add(BenchVerb.Create(ModelCatalog.All));
return root.Parse(args).Invoke();
