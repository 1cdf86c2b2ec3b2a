using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record AccountService(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    bool ServiceEnabled,
    int AuthFailureLoggingThreshold,
    int AccountLockoutThreshold,
    int AccountLockoutDuration,
    int AccountLockoutCounterResetAfter,
    int MinPasswordLength,
    Status Status,
    ODataId Accounts,
    ODataId Roles) : IRedfishResource
{
    public int? MaxPasswordLength { get; init; }
}

public sealed record ManagerAccount(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string UserName,
    string RoleId,
    bool Enabled,
    bool Locked,
    IReadOnlyList<string> AccountTypes,
    ManagerAccountLinks Links) : IRedfishResource
{
    /// <summary>The account may only read itself and set its password until it does (DSP0266 "Password change required").</summary>
    public bool? PasswordChangeRequired { get; init; }
}

public sealed record ManagerAccountLinks(ODataId Role);

public sealed record Role(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string RoleId,
    bool IsPredefined,
    IReadOnlyList<string> AssignedPrivileges) : IRedfishResource;
