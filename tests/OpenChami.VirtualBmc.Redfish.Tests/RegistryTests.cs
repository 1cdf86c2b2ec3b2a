using System.Text.Json;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Redfish.Tests;

/// <summary>The generated catalogues must say exactly what the DMTF registries in the bundle say.</summary>
public sealed class RegistryTests
{
    private static string RegistryDir => Path.Combine(RepoPaths.RedfishSchemaDir, "registries");

    private static JsonElement ReadRegistry(string pattern)
    {
        Skip.IfNot(Directory.Exists(RegistryDir), $"DMTF registries not found at {RegistryDir}: set REDFISH_SCHEMA_DIR");
        var file = Directory.GetFiles(RegistryDir, pattern).Order(StringComparer.Ordinal).Last();
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone();
    }

    [SkippableFact]
    public void BaseMessages_MatchTheRegistry()
    {
        var registry = ReadRegistry("Base.*.json");
        Assert.Equal(BaseMessages.RegistryVersion, registry.GetProperty("RegistryVersion").GetString());
        var messages = registry.GetProperty("Messages").EnumerateObject().ToList();
        Assert.Equal(messages.Select(m => m.Name).Order(StringComparer.Ordinal), BaseMessages.Catalog.Keys.Order(StringComparer.Ordinal));
        foreach (var message in messages)
        {
            var generated = BaseMessages.Catalog[message.Name];
            Assert.Equal(message.Value.GetProperty("Message").GetString(), generated.Template);
            Assert.Equal(message.Value.GetProperty("NumberOfArgs").GetInt32(), generated.NumberOfArgs);
            Assert.Equal(message.Value.GetProperty("MessageSeverity").GetString(), generated.Severity);
        }
    }

    [SkippableFact]
    public void PrivilegeRegistry_MatchesTheRegistry()
    {
        var registry = ReadRegistry("*_PrivilegeRegistry.json");
        foreach (var mapping in registry.GetProperty("Mappings").EnumerateArray())
        {
            var entity = mapping.GetProperty("Entity").GetString()!;
            Assert.True(PrivilegeRegistry.Knows(entity), entity);
            foreach (var operation in mapping.GetProperty("OperationMap").EnumerateObject())
            {
                var expected = operation.Value.EnumerateArray()
                    .Select(set => string.Join("+", set.GetProperty("Privilege").EnumerateArray().Select(p => p.GetString())))
                    .ToList();
                var actual = PrivilegeRegistry.Required(entity, operation.Name).Select(set => string.Join("+", set)).ToList();
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Message_FillsArgumentsAndCarriesItsStatus()
    {
        var message = BaseMessages.ActionParameterValueNotInList("Frobnicate", "ResetType", "ComputerSystem.Reset");
        Assert.Equal("Base.1.22.ActionParameterValueNotInList", message.MessageId);
        Assert.Equal("The value 'Frobnicate' for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.", message.Message);
        Assert.Equal(["Frobnicate", "ResetType", "ComputerSystem.Reset"], message.MessageArgs);
        Assert.Equal(400, message.HttpStatus);
        Assert.Equal(404, BaseMessages.ResourceNotFound("ComputerSystem", "x").HttpStatus);
        Assert.Equal(412, BaseMessages.PreconditionFailed().HttpStatus);
        Assert.Equal(503, BaseMessages.SessionLimitExceeded().HttpStatus);
    }

    [Fact]
    public void SeveralMessages_AreAGeneralErrorListingEach()
    {
        var error = RedfishErrors.From([BaseMessages.PropertyUnknown("Bot"), BaseMessages.PropertyNotWritable("PowerState")]);
        Assert.Equal("Base.1.22.GeneralError", error.Error.Code);
        Assert.Equal(["Base.1.22.PropertyUnknown", "Base.1.22.PropertyNotWritable"], error.Error.ExtendedInfo.Select(i => i.MessageId));
    }

    [Theory]
    [InlineData("ComputerSystem", "GET", new[] { Privilege.Login }, true)]
    [InlineData("ComputerSystem", "POST", new[] { Privilege.Login }, false)]
    [InlineData("ComputerSystem", "POST", new[] { Privilege.Login, Privilege.ConfigureComponents }, true)]
    [InlineData("ServiceRoot", "GET", new Privilege[0], true)]
    [InlineData("VirtualMedia", "POST", new[] { Privilege.Login, Privilege.ConfigureComponents }, false)]
    [InlineData("VirtualMedia", "POST", new[] { Privilege.Login, Privilege.ConfigureManager }, true)]
    [InlineData("NoSuchEntity", "GET", new[] { Privilege.Login, Privilege.ConfigureManager }, false)]
    public void Allows_FollowsTheRegistry(string entity, string method, Privilege[] held, bool allowed) =>
        Assert.Equal(allowed, PrivilegeRegistry.Allows(held, PrivilegeRegistry.Required(entity, method)));
}
