// The governor's Function App on Flex Consumption.
//
// Plain resources rather than avm/res/web/site: Flex Consumption's `functionAppConfig`, the basic
// publishing credential policies and the key-less host settings are exactly what reviewers (and
// test/infra) need to see, and the AVM versions differ in how they expose them.
//
// Why Flex Consumption: scale to zero between events and nightly sweeps, per-instance memory and
// concurrency control, identity-based deployment storage (no key in WEBSITE_CONTENTAZUREFILE...),
// and it is the Linux consumption plan that keeps receiving new runtime versions.

@description('Region of the plan and the app.')
param location string

@description('Tags applied to every resource; the app additionally gets azd-service-name.')
param tags object

@description('Function App name (globally unique host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity: host storage, App Insights and the Azure SDK credential use it.')
param identityClientId string

@description('Storage account for host state, durable task hub and records (identity-based, no keys).')
param storageAccountName string

@description('Blob container URL Flex Consumption deploys the package into, e.g. https://<acct>.blob.core.windows.net/app-package.')
param deploymentContainerUrl string

@description('Application Insights connection string (ingestion authenticates with Entra, see APPLICATIONINSIGHTS_AUTHENTICATION_STRING).')
param appInsightsConnectionString string

@description('The D4AI_* settings, built in main.bicep from its parameters.')
param d4aiSettings object

@description('Node.js major version on Flex Consumption.')
// Node.js 22 LTS is the floor (the app's engines field; Node 20 reached end of life on 2026-04-30).
// Add '24' here once Flex Consumption offers it: the code runs on 22 and newer.
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Application (client) id of the admin API\'s Entra app registration; empty means no identity provider, so every request that needs a principal is refused.')
param adminClientId string = ''

@description('Let callers with a function key and no Entra principal reach /api/automation/... (the platform then lets unauthenticated requests through to the host, which checks the key).')
param adminAllowFunctionKeys bool = false

@description('Upper bound on instances; keeps a burst of ARM write events from fanning out without limit.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploys the `governor` service of azure.yaml to the resource carrying this tag.
  tags: union(tags, {
    'azd-service-name': 'governor'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          // The platform pulls the package with the app's identity: no storage key anywhere.
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Basic (user/password) publishing is the one credential that bypasses Entra ID; azd deploys
// with an Entra token, so both endpoints are switched off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Identity-based host storage: the Functions host, the durable extension (task hub queues,
// tables, leases) and the records writer all reach the account with the user-assigned identity.
// Flex Consumption sets the worker runtime from functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and
// friends must not appear here.
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // DefaultAzureCredential / ManagedIdentityCredential in the app pick the user-assigned identity.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, d4aiSettings)
}

// App Service Authentication in front of the admin API. The platform validates the Entra token
// (issuer = this tenant, audience = the app registration) before the Functions host runs, strips
// any x-ms-client-principal header a client sent, and injects its own; functions/admin-auth.ts
// then checks the app role in it (Operator or Reader), so a misconfiguration here fails closed.
// Excluded: the Event Grid extension's webhook (Event Grid authenticates with the system key, it
// carries no Entra token) and, only when keys are allowed, the /api/automation routes that the
// host guards with function keys.
var unauthenticatedPaths = concat([
  '/runtime/webhooks/eventgrid'
], adminAllowFunctionKeys ? [
  '/api/automation'
] : [])

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: unauthenticatedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: !empty(adminClientId)
        registration: {
          clientId: adminClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${adminClientId}'
            adminClientId
          ]
        }
      }
    }
    login: {
      // The API is called with bearer tokens; nothing to keep server-side.
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
