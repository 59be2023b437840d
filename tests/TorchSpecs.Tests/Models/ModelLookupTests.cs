using TorchSpecs.Models;

namespace TorchSpecs.Tests.Models;

public class ModelLookupTests
{
    [Fact]
    public void FindsByNameIgnoringCase() =>
        Assert.Equal("AlexNetKerasBN", ModelLookup.Find(ModelCatalog.All, "alexnetkerasbn").Name);

    [Fact]
    public void UnknownNameListsNearMatches()
    {
        var e = Assert.Throws<UnknownModelException>(() => ModelLookup.Find(ModelCatalog.All, "AlexNetKeras"));
        Assert.StartsWith("Unknown model 'AlexNetKeras'. Did you mean AlexNetKerasBN, AlexNetKeras224", e.Message);
        // Library text names no CLI verb: the CLI adds its own hint (Verbs.FindModel).
        Assert.DoesNotContain("`list`", e.Message);
    }

    [Fact]
    public void NothingNearGivesNoSuggestion()
    {
        var e = Assert.Throws<UnknownModelException>(() => ModelLookup.Find(ModelCatalog.All, "ResNet50"));
        Assert.DoesNotContain("Did you mean", e.Message);
    }
}
