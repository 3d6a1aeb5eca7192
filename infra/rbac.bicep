// Every role Lifeboat's identities hold, named in one place: each assignment's name is a
// guid() of its scope, principal and role, so a redeploy finds the same assignments and changes
// nothing. No Owner, Contributor or User Access Administrator anywhere:
//  - a custom role holding exactly the ARM actions (and data actions) the code performs
//    (infra/arm-actions.json, generated from shared/azure/* ACTIONS and DATA_ACTIONS), assigned on
//    each subscription in scope;
//  - data-plane roles on the two storage accounts and telemetry publishing on App Insights;
//  - blob write on the dead-letter container for each Event Grid system topic.

targetScope = 'subscription'

metadata name = 'Lifeboat RBAC'
metadata description = 'Custom ARM-actions role and least-privilege data-plane role assignments.'

@description('Required. azd environment name; makes the custom role name unique in the tenant.')
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

@description('Required. Subscription ids in scope: the custom role is assignable and assigned there.')
@minLength(1)
param subscriptionIds array

@description('Required. Principal ids of the system topics, in the order of subscriptionIds.')
param systemTopicPrincipalIds array

// Built-in role definition ids (stable across clouds).
var builtInRoles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Generated from shared/azure/*.ACTIONS: `python -m tests.infra.sync` (tests/infra fails until it is).
var armPermissions = loadJsonContent('arm-actions.json')

var armRoleEnabled = !empty(armPermissions.actions) || !empty(armPermissions.dataActions)
var armRoleName = guid(subscription().id, environmentName, 'lifeboat-arm-actions')

// The deployment subscription is listed too: ARM creates the definition there.
var subscriptionScopes = [for sub in subscriptionIds: '/subscriptions/${sub}']
var assignableScopes = union([
  subscription().id
], subscriptionScopes)

// No actions, no role: ARM refuses a custom role without permissions.
var armRoleSubscriptionIds = armRoleEnabled ? subscriptionIds : []

resource armRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (armRoleEnabled) {
  name: armRoleName
  properties: {
    roleName: 'Lifeboat ARM actions (${environmentName}, ${subscription().subscriptionId})'
    description: 'Exactly the Azure Resource Manager actions Lifeboat performs (shared/azure ACTIONS).'
    type: 'CustomRole'
    permissions: [
      {
        actions: armPermissions.actions
        notActions: []
        dataActions: armPermissions.dataActions
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

module armRoleAssignments 'modules/role-assignment-subscription.bicep' = [for (sub, i) in armRoleSubscriptionIds: {
  name: take('${deployment().name}-arm-${i}', 64)
  scope: subscription(sub)
  params: {
    name: guid('/subscriptions/${sub}', functionPrincipalId, armRoleName)
    roleDefinitionId: '/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${armRoleName}'
    principalId: functionPrincipalId
  }
  dependsOn: [
    armRole
  ]
}]

var storageAccountAssignments = [
  {
    name: guid(stateStorageAccountId, functionPrincipalId, builtInRoles.storageBlobDataContributor)
    storageAccountName: stateStorageAccountName
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataContributor)
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

module groupAssignments 'modules/role-assignments-group.bicep' = {
  name: take('${deployment().name}-group', 64)
  scope: resourceGroup(resourceGroupName)
  params: {
    storageAccountAssignments: storageAccountAssignments
    containerAssignments: containerAssignments
    appInsightsAssignments: appInsightsAssignments
  }
}

@description('The custom role definition id, or empty while the code performs no ARM action.')
output armRoleDefinitionId string = armRoleEnabled ? armRole.id : ''
