namespace Fleet.Team;

/// <summary>
/// What an issue will touch, as the architect (or a person editing the plan) says: files and folders (repository-relative,
/// '/' separated; a folder ends with '/'), the migrations or schema changes it makes, and the issues whose result it needs.
/// </summary>
public sealed record IssueFootprint(
    int Issue,
    IReadOnlyList<string> Files,
    IReadOnlyList<string> Folders,
    IReadOnlyList<string> Migrations,
    IReadOnlyList<int> Needs);
