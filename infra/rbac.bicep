// Every role Lifeboat's identities hold, named in one place: each assignment's name is a
// guid() of its scope, principal and role, so a redeploy finds the same assignments and changes
// nothing. No Owner, Contributor or User Access Administrator anywhere. The ARM actions the code
// performs (infra/arm-actions.json, generated from shared/azure/* ACTIONS, DATA_ACTIONS and
// LINKED_ACTIONS by shared/azure/actions.py) are split into three custom roles by scope:
//  - "reads": every read, the LRO status reads and the few writes that reach customer resources
//    (actions.SUBSCRIPTION_WIDE), plus the data actions, on each subscription in scope;
//  - "DR writes": every other write, delete and action, only on the DR resource groups (one per
//    DR region) of each subscription in scope (infra creates them: modules/subscription-scope.bicep);
//  - "identity assign": the linked actions ARM checks when a restored Image Builder template
//    attaches its user-assigned identity or joins a DR subnet (vnetConfig: subnets/join/action
//    and subnets/read), on each subscription in scope, or only on the mapped DR identities and
//    the mapped DR subnets (identityAssignScope = 'mappedIdentities').
// Data-plane roles: Blob Data Owner (host storage, as Microsoft's Flex samples), Queue and Table
// Data Contributor on the app's account; Blob Data Contributor on the DR account; telemetry
// publishing on App Insights; blob write on the dead-letter container for each system topic.

targetScope = 'subscription'

metadata name = 'Lifeboat RBAC'
metadata description = 'Custom ARM-action roles split by scope, and least-privilege data-plane role assignments.'

@description('Required. azd environment name; makes the custom role names unique in the tenant.')
param environmentName string

@description('Required. Resource group (in this subscription) holding the storage accounts and App Insights.')
param resourceGroupName string

@description('Required. Principal id of the Function App\'s system-assigned identity.')
param functionPrincipalId string

@description('Required. Resource id of the Function App storage account (jobs queue and table).')
param stateStorageAccountId string

@description('Required. Name of the Function App storage account.')
param stateStorageAccountName string

@description('Required. Resource id of the DR storage account.')
param drStorageAccountId string

@description('Required. Name of the DR storage account.')
param drStorageAccountName string

@description('Required. Name of the Application Insights component.')
param appInsightsName string

@description('Required. Dead-letter container in the Function App storage account.')
param deadLetterContainerName string

@description('Required. Subscription ids in scope: the custom roles are assignable and assigned there.')
@minLength(1)
param subscriptionIds array

@description('Required. Principal ids of the system topics, in the order of subscriptionIds.')
param systemTopicPrincipalIds array

@description('Required. The DR resource groups (one per DR region) that exist in every subscription in scope (LIFEBOAT_DR_RESOURCE_GROUP).')
param drResourceGroupNames array

@description('Optional. Where the identity-assign role is held: on every subscription in scope, or only on the DR identities in mappedIdentityIds.')
@allowed([
  'subscriptions'
  'mappedIdentities'
])
param identityAssignScope string = 'subscriptions'

@description('Optional. Resource ids of the user-assigned identities restored templates may attach (the values of LIFEBOAT_IDENTITY_MAP).')
param mappedIdentityIds array = []

@description('Optional. Resource ids of the DR subnets restored templates may join (the values of LIFEBOAT_SUBNET_MAP); with identityAssignScope = \'mappedIdentities\' the identity-assign role is held on each.')
param mappedSubnetIds array = []

@description('Optional. Lifeboat\'s events topic, published to with EventGrid Data Sender (shared/azure/events_publisher.py).')
param eventsTopicName string = ''

@description('Optional. The workspace holding the activity log, read with Log Analytics Reader (shared/azure/activity_logs.py).')
param workspaceName string = ''

// Built-in role definition ids (stable across clouds).
var builtInRoles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  logAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893'
}

// Generated from shared/azure/actions.py: `python -m tests.infra.sync` (tests/infra fails until it is).
var armPermissions = loadJsonContent('arm-actions.json')

// The deployment subscription is listed too: ARM creates the definitions there.
var subscriptionScopes = [for sub in subscriptionIds: '/subscriptions/${sub}']
var assignableScopes = union([
  subscription().id
], subscriptionScopes)

// No permissions, no role: ARM refuses a custom role without any.
var readRoleEnabled = !empty(armPermissions.subscription.actions) || !empty(armPermissions.subscription.dataActions)
var drWriteRoleEnabled = !empty(armPermissions.drResourceGroup.actions)
var identityRoleEnabled = !empty(armPermissions.linked.actions)

var readRoleName = guid(subscription().id, environmentName, 'lifeboat-arm-actions')
var drWriteRoleName = guid(subscription().id, environmentName, 'lifeboat-dr-writes')
var identityRoleName = guid(subscription().id, environmentName, 'lifeboat-identity-assign')

resource readRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (readRoleEnabled) {
  name: readRoleName
  properties: {
    roleName: 'Lifeboat reads (${environmentName}, ${subscription().subscriptionId})'
    description: 'Lifeboat on each subscription in scope: the reads, LRO status reads and customer-resource writes its code performs (shared/azure/actions.py).'
    type: 'CustomRole'
    permissions: [
      {
        actions: armPermissions.subscription.actions
        notActions: []
        dataActions: armPermissions.subscription.dataActions
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

resource drWriteRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (drWriteRoleEnabled) {
  name: drWriteRoleName
  properties: {
    roleName: 'Lifeboat DR writes (${environmentName}, ${subscription().subscriptionId})'
    description: 'Lifeboat on the DR resource group only: the writes, deletes and actions its code performs there (shared/azure/actions.py).'
    type: 'CustomRole'
    permissions: [
      {
        actions: armPermissions.drResourceGroup.actions
        notActions: []
        dataActions: armPermissions.drResourceGroup.dataActions
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

resource identityRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (identityRoleEnabled) {
  name: identityRoleName
  properties: {
    roleName: 'Lifeboat identity assign (${environmentName}, ${subscription().subscriptionId})'
    description: 'Lifeboat: the linked checks ARM makes when a restored Image Builder template attaches its user-assigned identity or joins its DR subnet.'
    type: 'CustomRole'
    permissions: [
      {
        actions: armPermissions.linked.actions
        notActions: []
        dataActions: armPermissions.linked.dataActions
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

var readRoleSubscriptionIds = readRoleEnabled ? subscriptionIds : []
var drWriteRoleSubscriptionIds = drWriteRoleEnabled ? subscriptionIds : []
var identityRoleSubscriptionIds = identityRoleEnabled && identityAssignScope == 'subscriptions' ? subscriptionIds : []
var identityRoleTargetIds = identityRoleEnabled && identityAssignScope == 'mappedIdentities' ? mappedIdentityIds : []
var identityRoleSubnetIds = identityRoleEnabled && identityAssignScope == 'mappedIdentities' ? mappedSubnetIds : []

module readRoleAssignments 'modules/role-assignment-subscription.bicep' = [for (sub, i) in readRoleSubscriptionIds: {
  name: take('${deployment().name}-arm-${i}', 64)
  scope: subscription(sub)
  params: {
    name: guid('/subscriptions/${sub}', functionPrincipalId, readRoleName)
    roleDefinitionId: '/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${readRoleName}'
    principalId: functionPrincipalId
    assignmentDescription: 'Lifeboat: reads and customer-resource writes on this subscription (shared/azure/actions.py).'
  }
  dependsOn: [
    readRole
  ]
}]

// The DR resource groups exist before this module runs: main.bicep passes the system topics'
// principal ids, outputs of the same per-subscription deployments that create the groups.
// One assignment per (subscription, DR group): index i is subscription i / groups, group i % groups.
var drGroupCount = length(drResourceGroupNames)
module drWriteRoleAssignments 'modules/role-assignments-group.bicep' = [for i in range(0, length(drWriteRoleSubscriptionIds) * drGroupCount): {
  name: take('${deployment().name}-drw-${i}', 64)
  scope: resourceGroup(drWriteRoleSubscriptionIds[i / drGroupCount], drResourceGroupNames[i % drGroupCount])
  params: {
    groupAssignments: [
      {
        name: guid('/subscriptions/${drWriteRoleSubscriptionIds[i / drGroupCount]}/resourceGroups/${drResourceGroupNames[i % drGroupCount]}', functionPrincipalId, drWriteRoleName)
        roleDefinitionId: '/subscriptions/${drWriteRoleSubscriptionIds[i / drGroupCount]}/providers/Microsoft.Authorization/roleDefinitions/${drWriteRoleName}'
        principalId: functionPrincipalId
      }
    ]
  }
  dependsOn: [
    drWriteRole
  ]
}]

module identityRoleSubscriptionAssignments 'modules/role-assignment-subscription.bicep' = [for (sub, i) in identityRoleSubscriptionIds: {
  name: take('${deployment().name}-ida-${i}', 64)
  scope: subscription(sub)
  params: {
    name: guid('/subscriptions/${sub}', functionPrincipalId, identityRoleName)
    roleDefinitionId: '/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${identityRoleName}'
    principalId: functionPrincipalId
    assignmentDescription: 'Lifeboat: attach user-assigned identities to restored Image Builder templates.'
  }
  dependsOn: [
    identityRole
  ]
}]

// One assignment per mapped DR identity, at the identity itself (its subscription must be in scope).
module identityRoleIdentityAssignments 'modules/role-assignments-group.bicep' = [for (identityId, i) in identityRoleTargetIds: {
  name: take('${deployment().name}-idm-${i}', 64)
  scope: resourceGroup(split(identityId, '/')[2], split(identityId, '/')[4])
  params: {
    identityAssignments: [
      {
        name: guid(toLower(identityId), functionPrincipalId, identityRoleName)
        identityName: last(split(identityId, '/'))
        roleDefinitionId: '/subscriptions/${split(identityId, '/')[2]}/providers/Microsoft.Authorization/roleDefinitions/${identityRoleName}'
        principalId: functionPrincipalId
      }
    ]
  }
  dependsOn: [
    identityRole
  ]
}]

// One assignment per mapped DR subnet, at the subnet itself: ARM checks subnets/join/action and
// subnets/read there when a restored template's vnetConfig names it (its subscription must be
// in scope). Subnet id segments: 2 subscription, 4 group, 8 virtual network, 10 subnet.
module identityRoleSubnetAssignments 'modules/role-assignments-group.bicep' = [for (subnetId, i) in identityRoleSubnetIds: {
  name: take('${deployment().name}-ids-${i}', 64)
  scope: resourceGroup(split(subnetId, '/')[2], split(subnetId, '/')[4])
  params: {
    subnetAssignments: [
      {
        name: guid(toLower(subnetId), functionPrincipalId, identityRoleName)
        virtualNetworkName: split(subnetId, '/')[8]
        subnetName: split(subnetId, '/')[10]
        roleDefinitionId: '/subscriptions/${split(subnetId, '/')[2]}/providers/Microsoft.Authorization/roleDefinitions/${identityRoleName}'
        principalId: functionPrincipalId
      }
    ]
  }
  dependsOn: [
    identityRole
  ]
}]

var storageAccountAssignments = [
  {
    // Host storage (AzureWebJobsStorage): Blob Data Owner, the role Microsoft's Flex Consumption
    // samples and identity-based host storage docs give; the account holds only Lifeboat's state.
    name: guid(stateStorageAccountId, functionPrincipalId, builtInRoles.storageBlobDataOwner)
    storageAccountName: stateStorageAccountName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataOwner)
    principalId: functionPrincipalId
  }
  {
    name: guid(stateStorageAccountId, functionPrincipalId, builtInRoles.storageQueueDataContributor)
    storageAccountName: stateStorageAccountName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageQueueDataContributor)
    principalId: functionPrincipalId
  }
  {
    name: guid(stateStorageAccountId, functionPrincipalId, builtInRoles.storageTableDataContributor)
    storageAccountName: stateStorageAccountName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageTableDataContributor)
    principalId: functionPrincipalId
  }
  {
    name: guid(drStorageAccountId, functionPrincipalId, builtInRoles.storageBlobDataContributor)
    storageAccountName: drStorageAccountName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataContributor)
    principalId: functionPrincipalId
  }
]

var deadLetterContainerId = '${stateStorageAccountId}/blobServices/default/containers/${deadLetterContainerName}'

var containerAssignments = [for (sub, i) in subscriptionIds: {
  name: guid(deadLetterContainerId, systemTopicPrincipalIds[i], builtInRoles.storageBlobDataContributor)
  storageAccountName: stateStorageAccountName
  containerName: deadLetterContainerName
  roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataContributor)
  principalId: systemTopicPrincipalIds[i]
}]

var appInsightsAssignments = [
  {
    name: guid(subscription().id, resourceGroupName, appInsightsName, functionPrincipalId, builtInRoles.monitoringMetricsPublisher)
    componentName: appInsightsName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.monitoringMetricsPublisher)
    principalId: functionPrincipalId
  }
]

var topicAssignments = empty(eventsTopicName) ? [] : [
  {
    name: guid(subscription().id, resourceGroupName, eventsTopicName, functionPrincipalId, builtInRoles.eventGridDataSender)
    topicName: eventsTopicName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.eventGridDataSender)
    principalId: functionPrincipalId
  }
]

var workspaceAssignments = empty(workspaceName) ? [] : [
  {
    name: guid(subscription().id, resourceGroupName, workspaceName, functionPrincipalId, builtInRoles.logAnalyticsReader)
    workspaceName: workspaceName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.logAnalyticsReader)
    principalId: functionPrincipalId
  }
]

module groupAssignments 'modules/role-assignments-group.bicep' = {
  name: take('${deployment().name}-group', 64)
  scope: resourceGroup(resourceGroupName)
  params: {
    storageAccountAssignments: storageAccountAssignments
    containerAssignments: containerAssignments
    appInsightsAssignments: appInsightsAssignments
    topicAssignments: topicAssignments
    workspaceAssignments: workspaceAssignments
  }
}

@description('The subscription-scope custom role definition id, or empty without any such action.')
output readRoleDefinitionId string = readRoleEnabled ? readRole.id : ''

@description('The DR-group custom role definition id, or empty without any such action.')
output drWriteRoleDefinitionId string = drWriteRoleEnabled ? drWriteRole.id : ''

@description('The identity-assign custom role definition id, or empty without any linked action.')
output identityRoleDefinitionId string = identityRoleEnabled ? identityRole.id : ''
