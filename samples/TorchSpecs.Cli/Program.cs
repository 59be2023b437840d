using System.CommandLine;
using TorchSpecs;
using TorchSpecs.Cli;
using TorchSpecs.Models;

var root = new RootCommand("TorchSpecs: list, summarize and check the models generated from specs/*.yaml.");
root.Subcommands.Add(Verbs.List(ModelCatalog.All));
root.Subcommands.Add(Verbs.Summary(ModelCatalog.All));
root.Subcommands.Add(Verbs.Check(ModelCatalog.All));
return root.Parse(args).Invoke();
