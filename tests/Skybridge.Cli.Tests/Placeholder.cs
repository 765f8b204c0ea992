namespace Skybridge.Cli.Tests;
