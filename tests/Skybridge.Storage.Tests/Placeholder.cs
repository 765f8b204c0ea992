namespace Skybridge.Storage.Tests;
