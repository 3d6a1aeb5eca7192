// Lifeboat: everything `azd up` provisions. Deployed at subscription scope (the "home"
// subscription); the Function App and the DR storage live in `location`, the DR region, so they
// survive the outage they react to (azure.yaml's preprovision hook refuses a primary region).
// Each subscription in scope gets an ARM event topic, a Service Health alert rule, the DR
// resource group and (once the code is deployed) an event subscription to the app.

targetScope = 'subscription'

metadata name = 'Lifeboat'
metadata description = 'Regional disaster recovery for Azure images, templates and VMs, as a Function App.'

@description('Required. azd environment name; seeds resource names and the azd-env-name tag.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Required. The DR region: where the Function App, the DR storage and the DR resource groups live. A region outside every primary region that offers Flex Consumption (the azd preprovision hook refuses a primary region).')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Required. Programmatic names of the regions whose workloads Lifeboat protects (LIFEBOAT_PRIMARY_REGIONS), e.g. ["eastus"].')
@minLength(1)
param primaryRegions array

@description('Optional. Subscription ids in scope (LIFEBOAT_SUBSCRIPTIONS). Empty means the deployment subscription only.')
param subscriptionIds array = []

@description('Optional. Overrides of Microsoft\'s region pairs, primary to DR region (LIFEBOAT_DR_REGION_OVERRIDES), e.g. {"westus3": "centralus"}.')
param drRegionOverrides object = {}

@description('Optional. Tags applied to every resource (azd-env-name is added).')
param tags object = {}

@description('Optional. Resource group for the app. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Resource group, in every subscription in scope, that Lifeboat writes DR artefacts to (LIFEBOAT_DR_RESOURCE_GROUP); {region} stands for the DR region (required with more than one DR region). This deployment creates one per DR region, located there; the app holds its write role only there.')
param drResourceGroupName string = 'lifeboat-dr'

@description('Optional. Resource group, in every subscription in scope, that a failback plan copies the recovered VMs\' disks back into (LIFEBOAT_FAILBACK_RESOURCE_GROUP). This deployment creates it in the first primary region and grants the app its DR write role there; Lifeboat refuses a failback to another primary region with a message naming the group.')
param failbackResourceGroupName string = 'lifeboat-failback'

@description('Optional. Programmatic names of the DR regions the primary regions map to, e.g. ["westus", "swedencentral"]: one DR resource group per region (drResourceGroupName with {region} replaced), located there. Empty: the deployment location (the DR region) only.')
param drRegions array = []

// One DR resource group per (subscription, DR region), in that region: ARM keeps a group's
// metadata in the group's region, so a DR copy never depends on the primary region's.
var drRegionList = empty(drRegions) ? [location] : drRegions
var drResourceGroupNames = [for region in drRegionList: replace(drResourceGroupName, '{region}', region)]

@description('Optional. Source subnet id to DR subnet id, used when templates are restored (LIFEBOAT_SUBNET_MAP), e.g. {"/subscriptions/.../subnets/a": "/subscriptions/.../subnets/b"}. Kept in the infra: every provision rewrites all app settings.')
param subnetMap object = {}

@description('Optional. Source user-assigned identity id to DR identity id, used when templates are restored (LIFEBOAT_IDENTITY_MAP). Kept in the infra: every provision rewrites all app settings.')
param identityMap object = {}

@description('Optional. Where the app may attach user-assigned identities to restored templates: on every subscription in scope (any template restores), or only on the DR identities identityMap maps to and the DR subnets subnetMap maps to (least privilege; a template whose identity or subnet is not mapped then fails to restore with a 500 naming the permission).')
@allowed([
  'subscriptions'
  'mappedIdentities'
])
param identityAssignScope string = 'subscriptions'

@description('Optional. Queue in the DR storage account for an example subscription to Lifeboat\'s events (empty: none).')
param eventsQueueName string = ''

@description('Optional. Plan and report, but write nothing to Azure (LIFEBOAT_DRY_RUN).')
param dryRun bool = false

@description('Optional. Create the Event Grid subscriptions to the event function. They need the function deployed first; the azd postdeploy hook turns this on and provisions again.')
param wireEvents bool = false

@description('Optional. Which Service Health events notify the app.')
param serviceHealthAlert serviceHealthAlertType = {
  incidentTypes: [
    'Incident'
    'Maintenance'
  ]
  regionNames: []
}

@description('Optional. Event Grid delivery retry policy for resource events.')
param eventDelivery eventDeliveryType = {
  maxDeliveryAttempts: 30
  eventTimeToLiveInMinutes: 1440
}

@description('Optional. DR storage account options.')
param drStorage drStorageType = {
  skuName: 'Standard_ZRS'
  softDeleteRetentionDays: 30
  previousVersionRetentionDays: 30
  lockKind: 'CanNotDelete'
}

@description('Optional. E-mail addresses the action group also notifies.')
param notificationEmails array = []

@description('Which Service Health events notify the app.')
type serviceHealthAlertType = {
  incidentTypes: array
  regionNames: array
}

@description('Event Grid retry policy.')
type eventDeliveryType = {
  maxDeliveryAttempts: int
  eventTimeToLiveInMinutes: int
}

@description('Kinds of management lock.')
type lockKind = 'CanNotDelete' | 'ReadOnly' | 'None'

@description('DR storage account options.')
type drStorageType = {
  skuName: string
  softDeleteRetentionDays: int
  // Days a previous blob version is kept before the lifecycle rule deletes it.
  previousVersionRetentionDays: int
  lockKind: lockKind
}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, {
  'azd-env-name': environmentName
})
var scopeSubscriptionIds = empty(subscriptionIds) ? [
  subscription().subscriptionId
] : subscriptionIds

var names = {
  resourceGroup: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  functionApp: 'func-lifeboat-${resourceToken}'
  plan: 'plan-lifeboat-${resourceToken}'
  stateStorage: 'st${resourceToken}'
  drStorage: 'stdr${resourceToken}'
  workspace: 'log-lifeboat-${resourceToken}'
  appInsights: 'appi-lifeboat-${resourceToken}'
  actionGroup: 'ag-lifeboat-${resourceToken}'
  deploymentContainer: 'app-package-${take(resourceToken, 7)}'
  deadLetterContainer: 'eventgrid-deadletter'
  eventsResourceGroup: 'rg-${environmentName}-lifeboat-events'
  systemTopic: 'evgt-lifeboat-arm-${resourceToken}'
  alertRule: 'alert-lifeboat-service-health-${resourceToken}'
  eventSubscription: 'lifeboat-resource-events'
  eventsTopic: 'evgt-lifeboat-${resourceToken}'
  activityDiagnostics: 'lifeboat-activity-log'
}

// Names the code also knows (shared/config.py defaults; tests/infra holds them equal).
var jobs = {
  queue: 'lifeboat-jobs'
  table: 'lifeboatjobs'
}
var drContainers = {
  templates: 'template-backups'
  records: 'recovery-records'
  vhds: 'vhd-copies'
}

// The functions Azure calls (function_app.app; tests/infra holds them equal).
var eventFunctionName = 'on_resource_event'
var alertFunction = {
  name: 'service_health'
  route: 'service-health'
}

// The DR identities restored templates may attach (identityMap values, each once).
var mappedIdentityValues = [for item in items(identityMap): item.value]
var mappedIdentityIds = union(mappedIdentityValues, [])
// The DR subnets restored templates may join (subnetMap values, each once).
var mappedSubnetValues = [for item in items(subnetMap): item.value]
var mappedSubnetIds = union(mappedSubnetValues, [])

// Event subscriptions need the function deployed first (Event Grid validates the endpoint).
var wiredSubscriptionIds = wireEvents ? scopeSubscriptionIds : []

// Generated from shared/routing.py: `python -m tests.infra.sync`.
var eventRouting = loadJsonContent('event-routing.json')

// The app must not run in a region it protects. azure.yaml's preprovision hook says so before
// anything is deployed; this guard also stops deployments made without azd: ARM refuses the
// resource group's location, and its error message quotes this text.
var primaryRegionsText = toLower(replace(string(primaryRegions), ' ', ''))
var normalizedLocation = toLower(replace(location, ' ', ''))
var locationIsPrimary = contains(primaryRegionsText, '"${normalizedLocation}"')
var guardedLocation = locationIsPrimary ? 'location-must-be-a-dr-region-outside-primaryRegions' : location

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: guardedLocation
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: take('${deployment().name}-monitoring', 64)
  scope: rg
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: allTags
  }
}

// Fires when the RPO ledger reports a breached item (docs/readiness.md, Telemetry).
module rpoAlert 'modules/rpo-alert.bicep' = {
  name: take('${deployment().name}-rpo-alert', 64)
  scope: rg
  params: {
    name: 'alert-lifeboat-rpo-${resourceToken}'
    appInsightsName: monitoring.outputs.appInsightsName
    location: location
    tags: allTags
  }
}

module stateStorage 'modules/storage-state.bicep' = {
  name: take('${deployment().name}-state-storage', 64)
  scope: rg
  params: {
    name: names.stateStorage
    jobsQueueName: jobs.queue
    jobsTableName: jobs.table
    deploymentContainerName: names.deploymentContainer
    deadLetterContainerName: names.deadLetterContainer
    location: location
    tags: allTags
  }
}

module drStorageAccount 'modules/storage-dr.bicep' = {
  name: take('${deployment().name}-dr-storage', 64)
  scope: rg
  params: {
    name: names.drStorage
    containerNames: [
      drContainers.templates
      drContainers.records
      drContainers.vhds
    ]
    location: location
    skuName: drStorage.skuName
    softDeleteRetentionDays: drStorage.softDeleteRetentionDays
    previousVersionRetentionDays: drStorage.previousVersionRetentionDays
    lock: {
      kind: drStorage.lockKind
    }
    tags: allTags
  }
}

// Every setting the code reads that needs a value in Azure (Settings in shared/config.py).
var lifeboatSettings = [
  {
    name: 'LIFEBOAT_SUBSCRIPTIONS'
    value: join(scopeSubscriptionIds, ',')
  }
  {
    name: 'LIFEBOAT_PRIMARY_REGIONS'
    value: join(primaryRegions, ',')
  }
  {
    name: 'LIFEBOAT_DR_REGION_OVERRIDES'
    value: string(drRegionOverrides)
  }
  {
    name: 'LIFEBOAT_CLOUD'
    value: environment().name
  }
  {
    name: 'LIFEBOAT_DRY_RUN'
    value: string(dryRun)
  }
  {
    name: 'LIFEBOAT_EVENTS_ENDPOINT'
    value: eventsTopic.outputs.endpoint
  }
  {
    name: 'LIFEBOAT_ACTIVITY_WORKSPACE_ID'
    value: monitoring.outputs.customerId
  }
  {
    name: 'LIFEBOAT_DR_RESOURCE_GROUP'
    value: drResourceGroupName
  }
  {
    name: 'LIFEBOAT_FAILBACK_RESOURCE_GROUP'
    value: failbackResourceGroupName
  }
  {
    name: 'LIFEBOAT_SUBNET_MAP'
    value: string(subnetMap)
  }
  {
    name: 'LIFEBOAT_IDENTITY_MAP'
    value: string(identityMap)
  }
  {
    name: 'LIFEBOAT_DR_STORAGE_ACCOUNT'
    value: drStorageAccount.outputs.name
  }
  {
    name: 'LIFEBOAT_STORAGE_ENDPOINT_SUFFIX'
    value: environment().suffixes.storage
  }
  {
    name: 'LIFEBOAT_JOBS_QUEUE'
    value: jobs.queue
  }
  {
    name: 'LIFEBOAT_JOBS_TABLE'
    value: jobs.table
  }
  {
    name: 'LIFEBOAT_TEMPLATES_CONTAINER'
    value: drContainers.templates
  }
  {
    name: 'LIFEBOAT_RECORDS_CONTAINER'
    value: drContainers.records
  }
  {
    name: 'LIFEBOAT_VHD_CONTAINER'
    value: drContainers.vhds
  }
  {
    name: 'LIFEBOAT_ARM_ENDPOINT'
    value: environment().resourceManager
  }
]

module functionApp 'modules/function-app.bicep' = {
  name: take('${deployment().name}-function-app', 64)
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    storageAccountName: stateStorage.outputs.name
    deploymentContainerName: names.deploymentContainer
    appInsightsConnectionString: monitoring.outputs.connectionString
    appSettings: lifeboatSettings
    location: location
    tags: union(allTags, {
      'azd-service-name': 'api'
    })
  }
}

module eventsTopic 'modules/events.bicep' = {
  name: take('${deployment().name}-events-topic', 64)
  scope: rg
  params: {
    topicName: names.eventsTopic
    location: location
    queueStorageAccountId: empty(eventsQueueName) ? '' : drStorageAccount.outputs.id
    queueName: eventsQueueName
    tags: allTags
  }
}

module activityLogExport 'modules/activity-log-diagnostics.bicep' = [for (sub, i) in scopeSubscriptionIds: {
  name: take('${environmentName}-lifeboat-activity-${i}', 64)
  scope: subscription(sub)
  params: {
    name: names.activityDiagnostics
    workspaceId: monitoring.outputs.workspaceId
  }
}]

module actionGroup 'modules/action-group.bicep' = {
  name: take('${deployment().name}-action-group', 64)
  scope: rg
  params: {
    name: names.actionGroup
    shortName: 'lifeboat'
    functionAppId: functionApp.outputs.id
    functionAppHostName: functionApp.outputs.defaultHostName
    functionName: alertFunction.name
    functionRoute: alertFunction.route
    notificationEmails: notificationEmails
    tags: allTags
  }
}

module subscriptionScopes 'modules/subscription-scope.bicep' = [for (sub, i) in scopeSubscriptionIds: {
  name: take('${environmentName}-lifeboat-scope-${i}', 64)
  scope: subscription(sub)
  params: {
    resourceGroupName: names.eventsResourceGroup
    drResourceGroupName: drResourceGroupName
    drRegions: drRegionList
    failbackResourceGroupName: failbackResourceGroupName
    failbackLocation: primaryRegions[0]
    systemTopicName: names.systemTopic
    alertRuleName: names.alertRule
    actionGroupId: actionGroup.outputs.id
    incidentTypes: serviceHealthAlert.incidentTypes
    regionNames: serviceHealthAlert.regionNames
    location: location
    tags: allTags
  }
}]

module rbac 'rbac.bicep' = {
  name: take('${deployment().name}-rbac', 64)
  params: {
    environmentName: environmentName
    resourceGroupName: rg.name
    functionPrincipalId: functionApp.outputs.principalId
    stateStorageAccountId: stateStorage.outputs.id
    stateStorageAccountName: stateStorage.outputs.name
    drStorageAccountId: drStorageAccount.outputs.id
    drStorageAccountName: drStorageAccount.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    deadLetterContainerName: names.deadLetterContainer
    subscriptionIds: scopeSubscriptionIds
    systemTopicPrincipalIds: [for (sub, i) in scopeSubscriptionIds: subscriptionScopes[i].outputs.systemTopicPrincipalId]
    drResourceGroupNames: concat(drResourceGroupNames, [failbackResourceGroupName])
    identityAssignScope: identityAssignScope
    mappedIdentityIds: mappedIdentityIds
    mappedSubnetIds: mappedSubnetIds
    eventsTopicName: eventsTopic.outputs.name
    workspaceName: names.workspace
  }
}

module eventSubscriptions 'modules/event-subscription.bicep' = [for (sub, i) in wiredSubscriptionIds: {
  name: take('${environmentName}-lifeboat-events-${i}', 64)
  scope: resourceGroup(sub, names.eventsResourceGroup)
  params: {
    systemTopicName: names.systemTopic
    name: names.eventSubscription
    functionAppId: functionApp.outputs.id
    functionName: eventFunctionName
    operationNames: eventRouting.operationNames
    includedEventTypes: eventRouting.eventTypes
    deadLetterStorageAccountId: stateStorage.outputs.id
    deadLetterContainerName: names.deadLetterContainer
    retry: eventDelivery
  }
  dependsOn: [
    subscriptionScopes
    rbac
  ]
}]

@description('The region everything was deployed to (azd).')
output AZURE_LOCATION string = location

@description('The tenant (azd).')
output AZURE_TENANT_ID string = tenant().tenantId

@description('The app resource group (azd).')
output AZURE_RESOURCE_GROUP string = rg.name

@description('The Function App name.')
output LIFEBOAT_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('The Function App base URL.')
output LIFEBOAT_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'

@description('The DR storage account name.')
output LIFEBOAT_DR_STORAGE_ACCOUNT string = drStorageAccount.outputs.name

@description('The action group that receives Service Health alerts.')
output LIFEBOAT_ACTION_GROUP_ID string = actionGroup.outputs.id

@description('Whether the Event Grid subscriptions were created in this deployment.')
output LIFEBOAT_EVENTS_WIRED bool = wireEvents
