namespace TorchSpecs;

/// <summary>A model name that names no model; the message lists the nearest names.</summary>
public sealed class UnknownModelException(string message) : Exception(message);

/// <summary>Finds a model by name in a catalog, forgiving case; suggests near matches otherwise.</summary>
public static class ModelLookup
{
    public static ModelInfo Find(IReadOnlyList<ModelInfo> models, string name)
    {
        var exact = models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
        if (exact is not null) return exact;

        var near = models
            .Select(m => (m.Name, Score: Shared.EditDistance.Between(name.ToLowerInvariant(), m.Name.ToLowerInvariant())
                                         - (m.Name.Contains(name, StringComparison.OrdinalIgnoreCase) ? 100 : 0)))
            .Where(m => m.Score <= Math.Max(3, name.Length / 2))
            .OrderBy(m => m.Score).ThenBy(m => m.Name, StringComparer.Ordinal)
            .Take(5)
            .Select(m => m.Name)
            .ToList();
        string hint = near.Count > 0 ? $" Did you mean {string.Join(", ", near)}?" : "";
        throw new UnknownModelException($"Unknown model '{name}'.{hint}");
    }
}
